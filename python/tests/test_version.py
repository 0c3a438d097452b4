"""The release version is written in several files: the VERSION file is
the one the others must follow (dkms.conf's PACKAGE_VERSION is a literal
for packaging tools that read it as text; the Python package's metadata).
Needs no /dev/syncmgr."""
import os
import re
import unittest

import syncmgr

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def read(path):
    with open(os.path.join(TOP, path)) as f:
        return f.read()


def assignment(path, pattern):
    """The value of the one line of path that matches pattern, or None."""
    found = re.findall(pattern, read(path), re.M)
    return found[0] if len(found) == 1 else None


class TestVersion(unittest.TestCase):
    def setUp(self):
        self.version = read('VERSION').strip()
        self.assertRegex(self.version, r'^\d+\.\d+\.\d+$',
                         'VERSION is not x.y.z')

    def check(self, found):
        bad = ['%s is %r, but VERSION is %r' % (where, v, self.version)
               for where, v in found.items() if v != self.version]
        if bad:
            self.fail('\n'.join(bad))

    def test_dkms_conf(self):
        self.check({'dkms.conf\'s PACKAGE_VERSION':
                    assignment('dkms.conf', r'^PACKAGE_VERSION="([^"]*)"$')})

    def test_python_package(self):
        self.check({
            'syncmgr.__version__': syncmgr.__version__,
            'python/pyproject.toml\'s version':
                assignment('python/pyproject.toml', r'^version = "([^"]*)"$'),
            'python/_build/backend.py\'s VERSION':
                assignment('python/_build/backend.py',
                           r"^VERSION = '([^']*)'$"),
        })


if __name__ == '__main__':
    unittest.main()
