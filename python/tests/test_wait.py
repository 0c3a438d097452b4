"""syncmgr.wait_any / wait_all (issue 13): the lowest ready index, taken
or observed by kind, timeouts, signals, other processes, owner death."""
import multiprocessing as mp
import os
import signal
import time
import unittest
import warnings

import syncmgr

CTX = mp.get_context('fork')


def put_later(q, delay, item):
    time.sleep(delay)
    q.put(item)


def hold_and_die(lock, ready):
    lock.acquire()
    ready.set()
    time.sleep(60)


class WaitAny(unittest.TestCase):
    def test_lowest_ready_index_taken(self):
        sems = [syncmgr.Semaphore(n) for n in (0, 0, 1, 0, 2)]
        self.assertEqual(syncmgr.wait_any(sems, 0), [sems[2]])
        self.assertEqual(sems[2].get_value(), 0)
        self.assertEqual(syncmgr.wait_any(sems, 0), [sems[4]])
        self.assertEqual(syncmgr.wait_any(sems, 0), [sems[4]])
        self.assertEqual(syncmgr.wait_any(sems, 0), [])

    def test_event_and_queue_observed(self):
        ev, q, lk = syncmgr.Event(), syncmgr.Queue(1), syncmgr.Lock()
        lk.acquire()
        self.assertEqual(syncmgr.wait_any([lk, ev, q], 0), [])
        q.put('x')
        self.assertEqual(syncmgr.wait_any([lk, ev, q], 0), [q])
        self.assertEqual(q.qsize(), 1)          # not taken
        self.assertEqual(syncmgr.wait_any([(q, 'put')], 0), [])   # full
        ev.set()
        self.assertEqual(syncmgr.wait_any([lk, ev, q], 0), [ev])
        self.assertTrue(ev.is_set())
        self.assertEqual(q.get(), 'x')
        self.assertEqual(syncmgr.wait_any([(q, 'put')], 0), [(q, 'put')])

    def test_serves_several_queues_across_processes(self):
        qs = [syncmgr.Queue() for _ in range(3)]
        p = CTX.Process(target=put_later, args=(qs[2], 0.2, 'late'))
        p.start()
        t0 = time.monotonic()
        self.assertEqual(syncmgr.wait_any(qs, 30), [qs[2]])
        self.assertLess(time.monotonic() - t0, 20)
        self.assertEqual(qs[2].get_nowait(), 'late')
        p.join(30)

    def test_timeout(self):
        sem = syncmgr.Semaphore(0)
        t0 = time.monotonic()
        self.assertEqual(syncmgr.wait_any([sem], 0.2), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        self.assertFalse(syncmgr.wait_all([sem], 0.05))

    def test_signal_handler_runs_and_the_wait_resumes(self):
        seen = []
        old = signal.signal(signal.SIGALRM, lambda *a: seen.append(1))
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.1)
            t0 = time.monotonic()
            self.assertEqual(syncmgr.wait_any([syncmgr.Semaphore(0)], 0.5),
                             [])
            took = time.monotonic() - t0
        finally:
            signal.signal(signal.SIGALRM, old)
        self.assertEqual(seen, [1])
        self.assertGreaterEqual(took, 0.5)
        self.assertLess(took, 5)

    def test_bad_lists(self):
        sem = syncmgr.Semaphore(1)
        self.assertRaises(ValueError, syncmgr.wait_any, [sem, sem], 0)
        self.assertRaises(ValueError, syncmgr.wait_any, [], 0)
        self.assertRaises(ValueError, syncmgr.wait_any,
                          [syncmgr.Semaphore(0) for _ in range(65)], 0)
        self.assertRaises(TypeError, syncmgr.wait_any,
                          [syncmgr.Condition()], 0)
        self.assertRaises(TypeError, syncmgr.wait_any, [(sem, 'put')], 0)
        self.assertEqual(sem.get_value(), 1)

    def test_sixty_four(self):
        sems = [syncmgr.Semaphore(0) for _ in range(syncmgr._wait.WAIT_MAX)]
        sems[-1].release()
        self.assertEqual(syncmgr.wait_any(sems, 0), [sems[-1]])

    def test_owner_death_warns(self):
        lock, ready = syncmgr.Lock(), syncmgr.Event()
        p = CTX.Process(target=hold_and_die, args=(lock, ready))
        p.start()
        self.assertTrue(ready.wait(30))
        self.assertEqual(syncmgr.wait_any([lock], 0), [])
        os.kill(p.pid, signal.SIGKILL)
        p.join(30)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            self.assertEqual(syncmgr.wait_any([syncmgr.Semaphore(0), lock],
                                              30), [lock])
        self.assertTrue(any(issubclass(x.category, syncmgr.OwnerDiedWarning)
                            for x in w))
        lock.release()


class WaitAll(unittest.TestCase):
    def test_all_or_nothing(self):
        a, b, sem = syncmgr.Lock(), syncmgr.Lock(), syncmgr.Semaphore(1)
        b.acquire()
        self.assertFalse(syncmgr.wait_all([a, sem, b], 0))
        self.assertFalse(a.locked())
        self.assertEqual(sem.get_value(), 1)
        b.release()
        self.assertTrue(syncmgr.wait_all([a, sem, b], 0))
        self.assertTrue(a.locked() and b.locked())
        self.assertEqual(sem.get_value(), 0)


if __name__ == '__main__':
    unittest.main()
