"""syncmgr.open / unlink (issue 13): names between unrelated processes
(a C program and Python), the kind check, exclusive creation, unlink, read
-only handles, and pickled references that outlive their sender."""
import multiprocessing as mp
import os
import pickle
import subprocess
import sys
import unittest

import syncmgr

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
WORKER = os.path.join(TOP, 'examples', 'bin', 'named_worker')
CTX = mp.get_context('fork')


def unlink_quietly(name):
    try:
        syncmgr.unlink(name)
    except FileNotFoundError:
        pass


def send_and_drop(q):
    lk = syncmgr.Lock()
    q.put(pickle.dumps(lk))     # a reference; then the sender is gone


class Named(unittest.TestCase):
    def test_create_open_kind_unlink(self):
        unlink_quietly('py-sem')
        s = syncmgr.open('py-sem', syncmgr.Semaphore, create=True,
                         exclusive=True, value=2)
        self.assertRaises(FileExistsError, syncmgr.open, 'py-sem',
                          syncmgr.Semaphore, create=True, exclusive=True)
        t = syncmgr.open('py-sem', 'Semaphore')
        self.assertEqual(t, s)
        self.assertEqual(t.get_value(), 2)
        self.assertIsInstance(syncmgr.open('py-sem'), syncmgr.Semaphore)
        self.assertRaises(TypeError, syncmgr.open, 'py-sem', syncmgr.Queue)
        syncmgr.unlink('py-sem')
        self.assertRaises(FileNotFoundError, syncmgr.open, 'py-sem')
        self.assertTrue(s.acquire(timeout=0))   # still alive through s
        self.assertRaises(ValueError, syncmgr.open, 'a/b')
        self.assertRaises(ValueError, syncmgr.open, 'x' * 256)

    def test_readonly_handle(self):
        unlink_quietly('py-ev')
        ev = syncmgr.open('py-ev', syncmgr.Event, create=True, mode=0o644)
        ro = syncmgr.open('py-ev', syncmgr.Event, readonly=True)
        self.assertFalse(ro.is_set())
        self.assertRaises(OSError, ro.set)
        ev.set()
        self.assertTrue(ro.wait(0))
        syncmgr.unlink('py-ev', syncmgr.Event)

    @unittest.skipUnless(os.path.exists(WORKER), 'make examples first')
    def test_a_c_program_serves_python_by_name(self):
        for n in ('py-jobs', 'py-results'):
            unlink_quietly(n)
        jobs = syncmgr.open('py-jobs', syncmgr.Queue, create=True)
        results = syncmgr.open('py-results', syncmgr.Queue, create=True)
        # close_fds: the worker inherits nothing, it finds them by name
        p = subprocess.Popen([WORKER, 'py-jobs', 'py-results'],
                             stdout=subprocess.PIPE, close_fds=True)
        for i in range(10):
            jobs.put(i)
        got = [results.get(timeout=30) for _ in range(10)]
        jobs.put(None)
        out, _ = p.communicate(timeout=30)
        self.assertEqual(got, [i * i for i in range(10)])
        self.assertEqual(p.returncode, 0)
        self.assertIn(b'served 10', out)
        syncmgr.unlink('py-jobs')
        syncmgr.unlink('py-results')

    def test_unrelated_python_process(self):
        unlink_quietly('py-d')
        d = syncmgr.open('py-d', syncmgr.Dict, create=True)
        code = ('import syncmgr; d = syncmgr.open("py-d", syncmgr.Dict); '
                'd["from"] = "child"')
        subprocess.run([sys.executable, '-c', code], check=True, timeout=60,
                       close_fds=True)
        self.assertEqual(d['from'], 'child')
        syncmgr.unlink('py-d')


class HeldReferences(unittest.TestCase):
    def test_reference_outlives_its_sender(self):
        q = syncmgr.Queue()
        p = CTX.Process(target=send_and_drop, args=(q,))
        p.start()
        data = q.get(timeout=30)
        p.join(30)
        lk = pickle.loads(data)     # the sender and its handle are gone
        self.assertTrue(lk.acquire(timeout=0))

    def test_no_hold(self):
        syncmgr.set_reference_hold(0)
        try:
            lk = syncmgr.Lock()
            data = pickle.dumps(lk)
            del lk
            self.assertRaises(ReferenceError, pickle.loads, data)
        finally:
            syncmgr.set_reference_hold(60)


if __name__ == '__main__':
    unittest.main()
