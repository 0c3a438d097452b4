#!/usr/bin/env python3
"""Run the syncmgr Python suite (in the guest: tests/python-suite) and end
with a kselftest-style '# Totals:' line that tests/guest/run-suite counts."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(here), here]
# subprocesses started by the tests import the same package
os.environ['PYTHONPATH'] = os.pathsep.join(
    [os.path.dirname(here), here] +
    [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p])


def main():
    suite = unittest.defaultTestLoader.discover(here, pattern='test_*.py',
                                                top_level_dir=here)
    if len(sys.argv) > 1:
        suite = unittest.defaultTestLoader.loadTestsFromNames(sys.argv[1:])
    res = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    fail, err, skip = len(res.failures), len(res.errors), len(res.skipped)
    xfail, xpass = len(res.expectedFailures), len(res.unexpectedSuccesses)
    passed = res.testsRun - fail - err - skip - xfail - xpass
    print('# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:%d'
          % (passed, fail + xpass, xfail, 0, skip, err), flush=True)
    return 0 if res.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
