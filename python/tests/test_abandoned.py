"""A Lock whose holder dies is abandoned, not released: it stays locked,
any process may release it (as Python's Lock allows), and the next
acquire gets it at once with owner_died set.  An RLock is still released
when its owner dies."""
import multiprocessing as mp
import os
import signal
import time
import unittest
import warnings

import syncmgr

M = syncmgr.Manager()
CTX = mp.get_context('fork')
AT_ONCE = 5.0   # seconds: "at once", with room for a slow (TCG) guest


def acquire_and_exit(lock, hold):
    """Takes lock and returns (the process exits holding it); with hold,
    waits instead, to be SIGKILLed."""
    lock.acquire()
    if hold:
        hold.set()
        time.sleep(60)


class Abandoned(unittest.TestCase):
    def die_holding(self, lock, kill=False):
        """A worker process acquires lock and dies holding it: it exits,
        or with kill, is SIGKILLed."""
        hold = M.Event() if kill else None
        p = CTX.Process(target=acquire_and_exit, args=(lock, hold))
        p.start()
        self.addCleanup(p.kill)
        if kill:
            self.assertTrue(hold.wait(30))
            os.kill(p.pid, signal.SIGKILL)
        p.join(30)
        self.assertEqual(p.exitcode, -signal.SIGKILL if kill else 0)

    def acquire_at_once(self, lock, *args):
        """lock.acquire(*args) returns True at once, with the warning."""
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            t = time.monotonic()
            self.assertTrue(lock.acquire(*args))
            self.assertLess(time.monotonic() - t, AT_ONCE)
        self.assertEqual([x.category for x in w], [syncmgr.OwnerDiedWarning])
        self.assertTrue(lock.owner_died)

    def test_parent_releases_after_worker_exits(self):
        lock = M.Lock()
        self.die_holding(lock)
        self.assertTrue(lock.locked())      # abandoned: still locked
        lock.release()                      # no RuntimeError
        self.assertFalse(lock.locked())
        self.assertRaises(RuntimeError, lock.release)
        # a release hands no death on: the next acquire is not told
        with warnings.catch_warnings():
            warnings.simplefilter('error')
            self.assertTrue(lock.acquire(False))
        self.assertFalse(lock.owner_died)
        lock.release()

    def test_parent_releases_after_worker_is_killed(self):
        lock = M.Lock()
        self.die_holding(lock, kill=True)
        self.assertTrue(lock.locked())
        lock.release()
        self.assertFalse(lock.locked())

    def test_parent_acquires_at_once_after_worker_exits(self):
        lock = M.Lock()
        self.die_holding(lock)
        self.acquire_at_once(lock, True, 30)    # blocking (bounded)
        self.assertTrue(lock.locked())
        lock.release()
        self.assertFalse(lock.locked())
        self.assertTrue(lock.acquire(False))
        self.assertFalse(lock.owner_died)   # told once
        lock.release()

    def test_non_blocking_acquire_takes_it_over(self):
        lock = M.Lock()
        self.die_holding(lock, kill=True)
        self.acquire_at_once(lock, False)
        self.assertFalse(lock.acquire(timeout=0.05))  # ours now
        lock.release()

    def test_rlock_is_released_at_death(self):
        r = M.RLock()
        self.die_holding(r)
        self.assertRaises(RuntimeError, r.release)   # not ours, free
        self.acquire_at_once(r, True, 30)
        r.release()


if __name__ == '__main__':
    unittest.main()
