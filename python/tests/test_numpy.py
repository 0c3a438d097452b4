"""numpy scalars and arrays wherever Python numbers and sequences go
(issue 12 item 7): m.list(np.arange(3)), Array('i', np.arange(3)),
Array[i] = np.int64(5), Value.add(np.int64(2)), numpy scalars as dict keys
and values (TAGGED: they compare as their value and come back as the type
they went in as), a numpy array through a Queue (pickled).

numpy is Debian's python3-numpy (tools/setup installs it), which only
/usr/bin/python3 imports.  Under an interpreter without numpy the cases run
in a /usr/bin/python3 subprocess (with the same SYNCMGR_LIBSYNC and
PYTHONPATH), and fail -- not skip -- when no interpreter has numpy."""
import array
import os
import subprocess
import sys
import unittest

try:
    import numpy as np
except ImportError:
    np = None

import syncmgr
from syncmgr import _lib

HERE = os.path.dirname(os.path.abspath(__file__))
NUMPY_PYTHON = '/usr/bin/python3'
COMPOSITE = _lib.has(_lib.FEAT_COMPOSITE)


if np is None:
    class NumpyElsewhere(unittest.TestCase):
        def test_numpy_cases(self):
            """This file's cases under an interpreter that has numpy."""
            if not os.path.exists(NUMPY_PYTHON) or NUMPY_PYTHON == sys.executable:
                self.fail('no python3 with numpy (tools/setup installs '
                          'python3-numpy for %s)' % NUMPY_PYTHON)
            env = dict(os.environ)
            env['PYTHONPATH'] = os.pathsep.join(
                [os.path.dirname(HERE), HERE] +
                [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
            r = subprocess.run([NUMPY_PYTHON, '-m', 'unittest', '-v',
                                'test_numpy'], cwd=HERE, env=env,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               universal_newlines=True, timeout=600)
            sys.stdout.write(r.stdout)
            self.assertEqual(r.returncode, 0, 'the numpy cases failed under '
                             '%s (output above)' % NUMPY_PYTHON)
            self.assertNotIn('NumpyElsewhere', r.stdout,
                             '%s has no numpy either' % NUMPY_PYTHON)
else:
    M = syncmgr.Manager()

    class Numpy(unittest.TestCase):
        def test_list_of_an_array(self):
            lst = M.list(np.arange(3))
            self.assertEqual(lst[:], [0, 1, 2])
            self.assertEqual([type(x) for x in lst[:]], [np.int64] * 3)
            lst.extend(np.array([1.5, 2.5]))
            self.assertIs(type(lst[-1]), np.float64)
            self.assertEqual(lst[-1], 2.5)
            if COMPOSITE:      # typed: equal to Python's numbers
                self.assertIn(1, lst)
                self.assertEqual(lst.index(2), 2)
                self.assertEqual(lst.count(np.int64(0)), 1)
                lst.sort(reverse=True)
                self.assertEqual(lst[:], [2.5, 2, 1.5, 1, 0])

        def test_array_takes_numpy(self):
            a = M.Array('i', np.arange(3))
            self.assertEqual(a[:], array.array('i', [0, 1, 2]))
            a[0] = np.int64(7)
            a[1:3] = np.array([8, 9], dtype=np.int16)
            self.assertEqual(a[:], array.array('i', [7, 8, 9]))
            self.assertEqual(a.add(0, np.int32(1)), 7)
            self.assertTrue(a.compare_and_swap(0, np.int64(8), np.uint8(1)))
            f = M.Array('d', np.linspace(0, 1, 3))
            f[0] = np.float32(0.25)
            f[1] = np.int64(3)
            self.assertEqual(f[:], array.array('d', [0.25, 3.0, 1.0]))
            with self.assertRaises(TypeError):
                a[0] = np.float64(1.5)     # as array.array('i')
            with self.assertRaises(TypeError):
                array.array('i', [0])[0] = np.float64(1.5)
            with self.assertRaises(OverflowError):
                M.Array('b', np.array([300]))

        def test_value_takes_numpy(self):
            v = M.Value('d', np.float64(1.5))
            self.assertIs(type(v.value), np.float64)
            self.assertEqual(v.value, 1.5)
            n = M.Value('i', 1)
            self.assertEqual(n.add(np.int64(2)), 1)
            self.assertEqual(n.value, 3)

        def test_scalars_as_keys_and_values(self):
            d = M.dict()
            d[np.int64(1)] = np.float64(0.5)
            d['f32'] = np.float32(0.1)
            self.assertIs(type(d['f32']), np.float32)
            self.assertEqual(d['f32'], np.float32(0.1))
            self.assertIs(type(d.keys()[0]), np.int64)
            self.assertIs(type(d[np.int64(1)]), np.float64)
            if COMPOSITE:
                self.assertEqual(d[1], 0.5)
                self.assertEqual(d[1.0], 0.5)
                d[1] = 'one'        # the same key, kept as first stored
                self.assertEqual(len(d), 2)
                self.assertIs(type(d.keys()[0]), np.int64)

        def test_array_through_a_queue(self):
            q = M.Queue()
            x = np.arange(1000, dtype=np.float32).reshape(10, 100)
            q.put(x)
            y = q.get(timeout=10)
            self.assertIs(type(y), np.ndarray)
            self.assertTrue((x == y).all())
            self.assertEqual(y.dtype, np.float32)


if __name__ == '__main__':
    unittest.main()
