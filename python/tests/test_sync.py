"""Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier
against threading's own objects as the oracle."""
import threading
import time
import unittest

import syncmgr

M = syncmgr.Manager()


def outcome(fn, *a, **kw):
    try:
        return ('ok', fn(*a, **kw))
    except Exception as e:   # the exception type is what must match
        return ('exc', type(e))


class Oracle(unittest.TestCase):
    def same(self, mine, ref, calls):
        for name, args in calls:
            r = outcome(getattr(ref, name), *args)
            m = outcome(getattr(mine, name), *args)
            self.assertEqual(m, r, '%s%r' % (name, args))

    def test_lock(self):
        self.same(M.Lock(), threading.Lock(), [
            ('locked', ()), ('release', ()), ('acquire', ()), ('locked', ()),
            ('acquire', (False,)), ('acquire', (True, 0.01)),
            ('acquire', (False, 1)), ('acquire', (True, -2)),
            ('release', ()), ('acquire', (False,)), ('release', ()),
            ('release', ())])

    def test_lock_context_and_timeout(self):
        lk = M.Lock()
        with lk:
            self.assertTrue(lk.locked())
            t = time.monotonic()
            self.assertFalse(lk.acquire(timeout=0.05))
            self.assertGreaterEqual(time.monotonic() - t, 0.045)
        self.assertFalse(lk.locked())
        self.assertTrue(lk.acquire(True, None))   # the proxy's signature
        lk.release()

    def test_rlock(self):
        self.same(M.RLock(), threading.RLock(), [
            ('release', ()), ('acquire', ()), ('acquire', ()),
            ('acquire', (False,)), ('release', ()), ('release', ()),
            ('release', ()), ('release', ()), ('acquire', (False, 1))])

    def test_rlock_other_thread(self):
        r = M.RLock()
        r.acquire()
        res = []
        t = threading.Thread(target=lambda: res.append(
            (r.acquire(timeout=0.01), outcome(r.release))))
        t.start()
        t.join()
        self.assertEqual(res, [(False, ('exc', RuntimeError))])
        r.release()

    def test_semaphore(self):
        for v in (0, 1, 3):
            self.same(M.Semaphore(v), threading.Semaphore(v), [
                ('acquire', (False,)), ('acquire', (True, 0.01)),
                ('release', (2,)), ('release', (0,)), ('acquire', ()),
                ('acquire', (False,)), ('acquire', (False, 1)),
                ('acquire', (True, -1)), ('release', ())])
        self.assertRaises(ValueError, M.Semaphore, -1)
        # the kernel counts in 32 bits: beyond, a clear error, never a
        # truncated count
        s = M.Semaphore(0)
        self.assertRaises(OverflowError, s.release, (1 << 32) + 1)
        self.assertFalse(s.acquire(False))
        s.release((1 << 32) - 1)
        self.assertRaises(OverflowError, s.release)
        self.assertTrue(s.acquire(False))
        self.assertRaises(OverflowError, M.Semaphore, 1 << 32)
        b = M.BoundedSemaphore(1)
        self.assertRaises(ValueError, b.release, (1 << 32) + 1)

    def test_bounded_semaphore(self):
        self.same(M.BoundedSemaphore(2), threading.BoundedSemaphore(2), [
            ('release', ()), ('acquire', ()), ('release', (2,)),
            ('release', ()), ('acquire', ()), ('acquire', ()),
            ('acquire', (False,)), ('release', (2,)), ('release', ())])
        s = M.BoundedSemaphore()
        with s:
            self.assertFalse(s.acquire(False))
        self.assertTrue(s.acquire(False))

    def test_event(self):
        self.same(M.Event(), threading.Event(), [
            ('is_set', ()), ('wait', (0.01,)), ('wait', (0,)), ('set', ()),
            ('is_set', ()), ('wait', ()), ('wait', (-1,)), ('clear', ()),
            ('wait', (0.01,)), ('is_set', ())])

    def test_event_wakes_thread(self):
        e = M.Event()
        res = []
        t = threading.Thread(target=lambda: res.append(e.wait(10)))
        t.start()
        time.sleep(0.05)
        e.set()
        t.join()
        self.assertEqual(res, [True])

    def test_condition_errors(self):
        for lock in (None, 'Lock', 'RLock'):
            mine = M.Condition(getattr(M, lock)() if lock else None)
            ref = threading.Condition(getattr(threading, lock)()
                                      if lock else None)
            self.same(mine, ref, [
                ('wait', (0,)), ('notify', ()), ('notify_all', ()),
                ('release', ()), ('acquire', ()), ('wait', (0.01,)),
                ('notify', ()), ('notify', (3,)), ('notify_all', ()),
                ('release', ())])
        self.assertRaises(TypeError, M.Condition, threading.Lock())

    def test_condition_wait_notify(self):
        c = M.Condition()
        box = []

        def waiter():
            with c:
                box.append(c.wait_for(lambda: len(box) > 0 or None, 10))
        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.05)
        with c:
            box.append('x')
            c.notify()
        t.join()
        self.assertEqual(box, ['x', True])
        with c:
            self.assertFalse(c.wait_for(lambda: False, 0.02))
            self.assertEqual(c.wait_for(lambda: 7, 0), 7)

    def test_condition_rlock_depth(self):
        r = M.RLock()
        c = M.Condition(r)
        r.acquire()
        r.acquire()
        self.assertFalse(c.wait(0.01))
        r.release()
        r.release()
        self.assertRaises(RuntimeError, r.release)

    def test_barrier(self):
        b = M.Barrier(3, timeout=5)
        ref = threading.Barrier(3)
        self.assertEqual((b.parties, b.n_waiting, b.broken),
                         (ref.parties, ref.n_waiting, ref.broken))
        idx = []
        ts = [threading.Thread(target=lambda: idx.append(b.wait()))
              for _ in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(sorted(idx), [0, 1, 2])
        self.assertRaises(threading.BrokenBarrierError, b.wait, 0.01)
        self.assertTrue(b.broken)
        b.reset()
        self.assertFalse(b.broken)
        b.abort()
        self.assertRaises(threading.BrokenBarrierError, b.wait)
        self.assertRaises(ValueError, M.Barrier, 0)

    def test_barrier_default_timeout(self):
        b = M.Barrier(2, timeout=0.05)
        t = time.monotonic()
        self.assertRaises(threading.BrokenBarrierError, b.wait)
        self.assertLess(time.monotonic() - t, 5)

    def test_barrier_action(self):
        ran = []
        b = M.Barrier(2, action=lambda: ran.append(threading.get_ident()))
        idx = []
        t = threading.Thread(target=lambda: idx.append(b.wait(10)))
        t.start()
        idx.append(b.wait(10))
        t.join()
        self.assertEqual(sorted(idx), [0, 1])
        self.assertEqual(len(ran), 1)

    def test_barrier_action_raises(self):
        def boom():
            raise KeyError('boom')
        b = M.Barrier(1, action=boom)
        ref = threading.Barrier(1, action=boom)
        self.assertRaises(KeyError, ref.wait)
        self.assertRaises(KeyError, b.wait)
        self.assertTrue(b.broken and ref.broken)
        self.assertRaises(threading.BrokenBarrierError, b.wait)


class Manager(unittest.TestCase):
    def test_methods_and_signatures(self):
        import inspect
        from multiprocessing.managers import SyncManager
        names = ['Barrier', 'BoundedSemaphore', 'Condition', 'Event', 'Lock',
                 'Namespace', 'Queue', 'JoinableQueue', 'RLock', 'Semaphore',
                 'Array', 'Value', 'dict', 'list', 'Pool']
        for n in names:
            self.assertTrue(callable(getattr(syncmgr.SyncManager, n)), n)
        with syncmgr.Manager() as m:
            self.assertIsInstance(m.Lock(), syncmgr.Lock)
        m = syncmgr.SyncManager()
        m.start()
        m.shutdown()
        self.assertRaises(NotImplementedError, syncmgr.SyncManager.register,
                          'x')
        del SyncManager, inspect


if __name__ == '__main__':
    unittest.main()
