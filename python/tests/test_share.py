"""Sharing across processes (fork, forkserver, spawn; queues, pipes, pools,
Unix sockets), tokens, a SIGKILLed lock holder, signals during blocked
waits, and thousands of objects (RLIMIT_NOFILE)."""
import multiprocessing as mp
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
import time
import unittest
import warnings

import syncmgr

M = syncmgr.Manager()
# through the class: a Namespace's public names are its data (ns.sm_id too)
sm_id = syncmgr.SyncObject.sm_id.fget
METHODS = ('fork', 'forkserver', 'spawn')


def child_work(lock, d, lst, q, ev, ident):
    with lock:
        d['n'] = d.get('n', 0) + 1
    lst.append(os.getpid())
    q.put(('id', lock.sm_id == ident))
    ev.wait(30)


def child_ids(objs, out):
    out.put([sm_id(o) for o in objs])


def pool_task(args):
    v, n = args
    for _ in range(n):
        v.add(1)
    return v.sm_id


def hold_lock(lock, ready):
    lock.acquire()
    ready.set()
    time.sleep(60)


def blocked_acquire(lock, ready, res):
    try:
        ready.set()     # inside: an early SIGINT still reports
        lock.acquire()
        res.put('acquired')
    except KeyboardInterrupt:
        res.put('KeyboardInterrupt')


class Processes(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        # the fork server test_start_methods started would outlive the suite
        # (its own tests stop it the same way)
        import multiprocessing.forkserver
        stop = getattr(multiprocessing.forkserver._forkserver, '_stop', None)
        if stop is not None:
            stop()

    def test_start_methods(self):
        for method in METHODS:
            ctx = mp.get_context(method)
            lock, d, lst, q, ev = (M.Lock(), M.dict(), M.list(), M.Queue(),
                                   M.Event())
            ps = [ctx.Process(target=child_work,
                              args=(lock, d, lst, q, ev, lock.sm_id))
                  for _ in range(3)]
            for p in ps:
                p.start()
            got = [q.get(timeout=60) for _ in ps]
            ev.set()
            for p in ps:
                p.join(60)
                self.assertEqual(p.exitcode, 0, method)
            self.assertEqual(got, [('id', True)] * 3, method)
            self.assertEqual(d['n'], 3, method)
            self.assertEqual(sorted(lst), sorted(p.pid for p in ps))

    def test_every_type_through_mp_queue_and_pipe(self):
        objs = [M.Lock(), M.RLock(), M.Semaphore(2), M.BoundedSemaphore(),
                M.Event(), M.Condition(), M.Barrier(2, timeout=3), M.Queue(),
                M.Value('i', 1), M.Array('i', [1, 2]), M.dict(), M.list(),
                M.Namespace()]
        ids = [sm_id(o) for o in objs]
        ctx = mp.get_context('spawn')
        out = ctx.Queue()
        p = ctx.Process(target=child_ids, args=(objs, out))
        p.start()
        self.assertEqual(out.get(timeout=60), ids)
        p.join(60)
        # through a multiprocessing queue and a pipe (token references)
        q = ctx.Queue()
        q.put(objs)
        back = q.get(timeout=30)
        self.assertEqual([sm_id(o) for o in back], ids)
        self.assertEqual([type(o) for o in back], [type(o) for o in objs])
        a, b = ctx.Pipe()
        a.send(objs[-4])
        self.assertEqual(b.recv().typecode, 'i')

    def test_pool_outlives_sender(self):
        # pool workers get the Value by token after the task was queued
        v = M.Value('i', 0)
        with mp.get_context('spawn').Pool(2) as pool:
            ids = pool.map(pool_task, [(v, 100)] * 4)
        self.assertEqual(set(ids), {v.sm_id})
        self.assertEqual(v.value, 400)

    def test_unix_socket(self):
        a, b = socket.socketpair()
        ev = M.Event()
        syncmgr.send(a, ev)
        got = syncmgr.recv(b)
        self.assertEqual(got, ev)
        got.set()
        self.assertTrue(ev.is_set())

    def test_token_dies_with_object(self):
        lk = M.Lock()
        data = pickle.dumps(lk)
        self.assertEqual(pickle.loads(data), lk)
        del lk
        self.assertRaises(ReferenceError, pickle.loads, data)

    def test_sigkilled_lock_holder(self):
        ctx = mp.get_context('fork')
        lock, ready = M.Lock(), M.Event()
        p = ctx.Process(target=hold_lock, args=(lock, ready))
        p.start()
        self.assertTrue(ready.wait(30))
        self.assertFalse(lock.acquire(timeout=0.05))
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            self.assertTrue(lock.acquire(timeout=10))
        self.assertTrue(lock.owner_died)
        self.assertEqual([x.category for x in w], [syncmgr.OwnerDiedWarning])
        lock.release()
        self.assertTrue(lock.acquire(timeout=1))
        self.assertFalse(lock.owner_died)
        lock.release()

    def test_sigint_raises_keyboardinterrupt(self):
        ctx = mp.get_context('fork')
        lock, ready, res = M.Lock(), M.Event(), M.Queue()
        lock.acquire()
        p = ctx.Process(target=blocked_acquire, args=(lock, ready, res))
        p.start()
        self.assertTrue(ready.wait(30))
        time.sleep(0.2)
        os.kill(p.pid, signal.SIGINT)
        self.assertEqual(res.get(timeout=30), 'KeyboardInterrupt')
        p.join(30)
        lock.release()

    def test_handler_returns_same_deadline(self):
        hits = []
        old = signal.signal(signal.SIGUSR1, lambda *a: hits.append(1))
        try:
            lk = M.Lock()
            lk.acquire()
            pid = os.getpid()
            killer = subprocess.Popen(
                [sys.executable, '-c', 'import os, time, signal\n'
                 'for _ in range(5):\n time.sleep(0.05); '
                 'os.kill(%d, signal.SIGUSR1)' % pid])
            t = time.monotonic()
            self.assertFalse(lk.acquire(timeout=0.6))
            dt = time.monotonic() - t
            killer.wait()
            self.assertGreaterEqual(len(hits), 3)
            self.assertGreaterEqual(dt, 0.59)
            self.assertLess(dt, 1.5)
        finally:
            signal.signal(signal.SIGUSR1, old)


def many_locks(n, soft):
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (soft, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    return n


class Limits(unittest.TestCase):
    def test_thousands_of_locks(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.assertEqual(soft, hard)   # raised on import
        locks = [M.Lock() for _ in range(3000)]
        for lk in locks[::100]:
            self.assertTrue(lk.acquire(False))

    def test_missing_libsync_is_clear(self):
        env = dict(os.environ, SYNCMGR_LIBSYNC='/nonexistent/libsync.so.1')
        out = subprocess.run([sys.executable, '-c', 'import syncmgr'],
                             capture_output=True, text=True, timeout=60,
                             env=env)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('ImportError: syncmgr needs libsync.so.1', out.stderr)
        self.assertIn('SYNCMGR_LIBSYNC', out.stderr)

    def test_emfile_is_clear(self):
        code = ('import resource, syncmgr\n'
                'resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))\n'
                'ls = []\n'
                'try:\n'
                '    while True: ls.append(syncmgr.Lock())\n'
                'except OSError as e:\n'
                '    print(e.errno, e)\n')
        out = subprocess.run([sys.executable, '-c', code],
                             capture_output=True, text=True, timeout=60)
        self.assertIn('24 ', out.stdout, out.stderr)
        self.assertIn('RLIMIT_NOFILE', out.stdout)


if __name__ == '__main__':
    unittest.main()
