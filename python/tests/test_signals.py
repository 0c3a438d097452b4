"""Signals during blocked waits (a Python handler runs, then the wait goes
on with the same deadline; Ctrl-C raises KeyboardInterrupt) and lock
holders SIGKILLed while holding an RLock or a Condition's lock.  (The Lock
cases are in test_share.)"""
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import unittest
import warnings

import syncmgr

M = syncmgr.Manager()
CTX = mp.get_context('fork')

# A timed wait of TIMEOUT s gets SIGALRM every TICK s, BURST times, the
# last shortly before the deadline: a wait that restarted its timeout after
# a signal would end at BURST * TICK + TIMEOUT (2.9 s) or later, well past
# the bound TIMEOUT + SLACK that a slow guest gets.
TIMEOUT, TICK, BURST, SLACK = 1.5, 0.1, 14, 1.0


class Alarms:
    """SIGALRM every TICK s from now, BURST times; the handler notes when it
    ran.  A context manager: the old handler and timer come back after."""

    def __enter__(self):
        self.hits = []
        self.old = signal.signal(signal.SIGALRM, self._handler)
        signal.setitimer(signal.ITIMER_REAL, TICK, TICK)
        return self

    def _handler(self, signum, frame):
        self.hits.append(time.monotonic())
        if len(self.hits) >= BURST:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)


def later(delay, fn):
    """fn() in a child process after delay seconds."""
    def run():
        time.sleep(delay)
        fn()
    p = CTX.Process(target=run)
    p.start()
    return p


class HandlerKeepsDeadline(unittest.TestCase):
    def timed_out(self, wait, result):
        """wait() with SIGALRMs arriving: it returns result (or raises it,
        an exception class) at its own deadline, after the handler ran."""
        with Alarms() as alarms:
            t = time.monotonic()
            if isinstance(result, type) and issubclass(result, BaseException):
                self.assertRaises(result, wait)
            else:
                self.assertEqual(wait(), result)
            dt = time.monotonic() - t
            ran = [h for h in alarms.hits if h < t + dt]
        self.assertGreaterEqual(len(ran), BURST // 2)
        self.assertGreaterEqual(dt, TIMEOUT - 0.01)
        self.assertLess(dt, TIMEOUT + SLACK)

    def test_event_wait(self):
        self.timed_out(lambda: M.Event().wait(TIMEOUT), False)

    def test_condition_wait(self):
        c = M.Condition()
        with c:
            self.timed_out(lambda: c.wait(TIMEOUT), False)
            c.notify()          # still held after the handlers ran
        self.assertRaises(RuntimeError, c.release)

    def test_queue_get(self):
        self.timed_out(lambda: M.Queue().get(timeout=TIMEOUT), queue.Empty)

    def test_semaphore_acquire(self):
        self.timed_out(lambda: M.Semaphore(0).acquire(timeout=TIMEOUT), False)

    def test_barrier_wait(self):
        b = M.Barrier(2)
        self.timed_out(lambda: b.wait(TIMEOUT), threading.BrokenBarrierError)
        self.assertTrue(b.broken)

    def test_satisfied_by_another_process(self):
        # signals arriving while the wait is then satisfied by a process
        ev, q = M.Event(), M.Queue()
        for wait, wake, want in ((lambda: ev.wait(30), ev.set, True),
                                 (lambda: q.get(timeout=30),
                                  lambda: q.put('x'), 'x')):
            with Alarms() as alarms:
                p = later(0.6, wake)
                t = time.monotonic()
                self.assertEqual(wait(), want)
                dt = time.monotonic() - t
                ran = len(alarms.hits)
            p.join(30)
            self.assertEqual(p.exitcode, 0)
            self.assertGreaterEqual(ran, 3)
            self.assertLess(dt, 15)


def blocked(wait, ready, res):
    """In a child: wait() forever; report whether Ctrl-C interrupted it."""
    try:
        ready.set()
        res.put(('returned', wait()))
    except KeyboardInterrupt:
        res.put(('KeyboardInterrupt', None))


def cond_wait(c):
    with c:
        return c.wait()


class CtrlC(unittest.TestCase):
    def test_sigint_interrupts_waits(self):
        ev, q, c, sem = M.Event(), M.Queue(), M.Condition(), M.Semaphore(0)
        for name, wait in (('Event.wait', ev.wait), ('Queue.get', q.get),
                           ('Condition.wait', lambda: cond_wait(c)),
                           ('Semaphore.acquire', sem.acquire)):
            ready, res = M.Event(), M.Queue()
            p = CTX.Process(target=blocked, args=(wait, ready, res))
            p.start()
            self.addCleanup(p.kill)
            self.assertTrue(ready.wait(30), name)
            time.sleep(0.3)     # into the wait
            os.kill(p.pid, signal.SIGINT)
            self.assertEqual(res.get(timeout=30),
                             ('KeyboardInterrupt', None), name)
            p.join(30)
            self.assertEqual(p.exitcode, 0, name)
        # the interrupted Condition.wait released the lock on the way out
        self.assertTrue(c.acquire(timeout=10))
        c.release()


def hold(lock, times, ready):
    for _ in range(times):
        lock.acquire()
    ready.set()
    time.sleep(60)      # until SIGKILLed


class OwnerDeath(unittest.TestCase):
    def kill_holder(self, lock, times):
        """A child acquires lock times times and is SIGKILLed holding it."""
        ready = M.Event()
        p = CTX.Process(target=hold, args=(lock, times, ready))
        p.start()
        self.addCleanup(p.kill)
        self.assertTrue(ready.wait(30))
        self.assertFalse(lock.acquire(timeout=0.05))
        os.kill(p.pid, signal.SIGKILL)
        p.join(30)
        self.assertEqual(p.exitcode, -signal.SIGKILL)

    def acquire_after_death(self, lock):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            self.assertTrue(lock.acquire(timeout=10))
        self.assertEqual([x.category for x in w], [syncmgr.OwnerDiedWarning])
        self.assertTrue(lock.owner_died)

    def other_thread_acquires(self, lock):
        got = []
        t = threading.Thread(target=lambda: got.append(
            (lock.acquire(timeout=10), lock.release())))
        t.start()
        t.join(30)
        return got == [(True, None)]

    def test_rlock_held_twice(self):
        r = M.RLock()
        self.kill_holder(r, 2)
        self.acquire_after_death(r)
        # the dead holder's depth of 2 is gone: one release frees it
        r.release()
        self.assertRaises(RuntimeError, r.release)
        self.assertTrue(self.other_thread_acquires(r))
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            self.assertTrue(r.acquire(timeout=1))
        self.assertFalse(r.owner_died)
        r.release()

    def test_condition_lock(self):
        for lock in (None, M.Lock(), M.RLock()):
            c = M.Condition(lock)
            self.kill_holder(c, 1)
            self.acquire_after_death(c)
            self.assertFalse(c.wait(0.05))     # usable: held, waits, times out
            c.notify_all()
            c.release()
            self.assertRaises(RuntimeError, c.release)
            self.assertTrue(self.other_thread_acquires(c))
            with warnings.catch_warnings():
                warnings.simplefilter('error')
                with c:
                    self.assertFalse(c.owner_died)


if __name__ == '__main__':
    unittest.main()
