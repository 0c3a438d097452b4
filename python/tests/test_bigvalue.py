"""Big values: a 100 MB bytes value through a Queue between processes, a
20 MB dict value read by another process, a 2 MiB put (over the old 1 MiB
default of max_value_size)."""
import multiprocessing as mp
import unittest

import syncmgr

M = syncmgr.Manager()
PARAMS = '/sys/module/syncmgr/parameters/'
MB = 1000 * 1000


def param(name):
    try:
        with open(PARAMS + name) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def pattern(n, seed):
    """n bytes with a period of 251 (prime: a page out of place shows)."""
    block = bytes((seed + i) % 256 for i in range(251))
    return (block * (n // 251 + 1))[:n]


def put_pattern(q, n, seed):
    q.put(pattern(n, seed))


def check_dict_value(d, key, n, seed, out):
    out.put(d[key] == pattern(n, seed))


class BigValues(unittest.TestCase):
    def need(self, size):
        """Skip unless the module takes a value of size bytes."""
        vsz, per_user = param('max_value_size'), param('max_bytes_per_user')
        if vsz is None or per_user is None:
            self.skipTest('module parameters not readable')
        if vsz < size or per_user < 2 * size:
            self.skipTest('max_value_size %d, max_bytes_per_user %d: too '
                          'small for %d bytes' % (vsz, per_user, size))

    def test_queue_100mb_between_processes(self):
        self.need(100 * MB)
        q = M.Queue()
        p = mp.get_context('fork').Process(target=put_pattern,
                                           args=(q, 100 * MB, 7))
        p.start()
        got = q.get(timeout=300)
        p.join(60)
        self.assertEqual(p.exitcode, 0)
        self.assertIs(type(got), bytes)
        self.assertEqual(len(got), 100 * MB)
        self.assertTrue(got == pattern(100 * MB, 7), 'the bytes differ')
        self.assertTrue(q.empty())

    def test_dict_value_20mb(self):
        self.need(20 * MB)
        d, out = M.dict(), M.Queue()
        d['big'] = pattern(20 * MB, 3)
        d['small'] = 1
        p = mp.get_context('fork').Process(
            target=check_dict_value, args=(d, 'big', 20 * MB, 3, out))
        p.start()
        self.assertIs(out.get(timeout=120), True)
        p.join(60)
        self.assertEqual(p.exitcode, 0)
        self.assertEqual(len(d['big']), 20 * MB)
        del d['big']
        self.assertEqual(dict(d.items()), {'small': 1})

    def test_put_2mib(self):
        self.need(2 << 20)
        q = M.Queue()
        q.put(b'x' * (2 << 20))
        self.assertEqual(q.get(timeout=60), b'x' * (2 << 20))


if __name__ == '__main__':
    unittest.main()
