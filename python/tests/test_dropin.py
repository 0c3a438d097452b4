"""The issue's promise: an existing multiprocessing program that uses a
Manager runs on syncmgr with only its import changed.  Each program in
examples/python runs twice, as written (multiprocessing.Manager()) and with
its one line `from multiprocessing import Manager` replaced by `from syncmgr
import Manager`; both must exit 0 and print the same."""
import glob
import os
import subprocess
import sys
import tempfile
import unittest

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        os.pardir, os.pardir, 'examples', 'python')
ORIGINAL = 'from multiprocessing import Manager\n'
SWITCHED = 'from syncmgr import Manager\n'


def run(path):
    out = subprocess.run([sys.executable, path], capture_output=True,
                         text=True, timeout=300)
    return out.returncode, out.stdout, out.stderr


@unittest.skipUnless(os.path.isdir(EXAMPLES), 'no examples/python here')
class TestDropIn(unittest.TestCase):
    def test_examples_with_only_the_import_changed(self):
        programs = sorted(glob.glob(os.path.join(EXAMPLES, '*.py')))
        self.assertGreaterEqual(len(programs), 3)
        with tempfile.TemporaryDirectory() as tmp:
            for path in programs:
                with self.subTest(program=os.path.basename(path)):
                    with open(path) as f:
                        lines = f.readlines()
                    self.assertEqual(lines.count(ORIGINAL), 1)
                    switched = os.path.join(tmp, os.path.basename(path))
                    with open(switched, 'w') as f:
                        f.writelines(SWITCHED if line == ORIGINAL else line
                                     for line in lines)
                    rc, want, err = run(path)
                    self.assertEqual(rc, 0, err)
                    rc, got, err = run(switched)
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(got, want)
                    self.assertTrue(want.strip())


if __name__ == '__main__':
    unittest.main()
