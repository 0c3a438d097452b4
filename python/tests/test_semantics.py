"""Issue 12's "Why" block, each snippet across processes (fork and spawn):
composite values as keys and values, Python's keys (unhashable: TypeError,
nothing stored), sort (kernel, local with a key, never losing a concurrent
append), iteration as the manager's (a list live by index, a dict's
RuntimeError on a size change, consistent snapshots while another process
changes the container), big ints, frozensets, tagged types, Array 'u' and
'Q'.  The manager's own behaviour (Python's types) is the oracle.

What rests on the module's composite values (SYNCMGR_FEAT_COMPOSITE) is
skipped, saying so, on a module without them."""
import array
import enum
import multiprocessing as mp
import time
import unittest

import syncmgr
from syncmgr import _lib

M = syncmgr.Manager()
METHODS = ('fork', 'spawn')
COMPOSITE = _lib.has(_lib.FEAT_COMPOSITE)
VERSION = _lib.has(_lib.FEAT_VERSION)
needs_composite = unittest.skipUnless(
    COMPOSITE, 'the module has no composite values (SYNCMGR_FEAT_COMPOSITE)')
needs_version = unittest.skipUnless(
    VERSION, 'the module has no container versions (SYNCMGR_FEAT_VERSION)')


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2


class Name(str):
    pass


class Holder:
    """An object that has no typed form: pickled."""

    def __init__(self, x):
        self.x = x

    def __eq__(self, other):
        return type(other) is Holder and other.x == self.x


# --- what the other process does (module level: spawn imports them) -----------
def child_tuple_key(d, out):
    out.put((d[(1.0, 2)], d.get((True, 2.0)), (1, 2) in d, d[Color.RED]))


def child_sort(lst):
    lst.sort()


def child_job(d, out):
    job = d['job']
    lock = job['lock']
    out.put(lock.acquire(timeout=10))
    out.put(job['n'])


def child_holder_lock(d, out):
    out.put(d['h'][0].x.acquire(timeout=10))


def child_set0(lst, v):
    lst[0] = v


def child_clear(d):
    d.clear()


def child_replace(d, keys, stop):
    n = 0
    while not stop.is_set():
        n += 1
        for k in keys[::7]:
            d[k] = n


def child_add_keys(d, started, stop):
    i = 0
    started.set()
    while not stop.is_set() and i < 100000:
        d['new%d' % i] = i
        i += 1


def child_append(lst, base, n, go):
    go.wait(30)
    for i in range(n):
        lst.append(base + i)


def child_reverse(lst, stop):
    while not stop.is_set():
        lst.reverse()


def child_update(d, keys, stop):
    g = 0
    while not stop.is_set():
        g += 1
        d.update(dict.fromkeys(keys, g))


def run(method, target, *args):
    p = mp.get_context(method).Process(target=target, args=args)
    p.start()
    return p


def finish(tc, p):
    p.join(120)
    tc.assertEqual(p.exitcode, 0)


class Snippets(unittest.TestCase):
    """The issue's snippets, the other process reading or changing."""

    @needs_composite
    def test_tuple_and_intenum_keys(self):
        for method in METHODS:
            with self.subTest(method=method):
                d, out = M.dict(), M.Queue()
                d[(1, 2)] = 'pair'
                d[1] = 'one'
                finish(self, run(method, child_tuple_key, d, out))
                self.assertEqual(out.get(timeout=10),
                                 ('pair', 'pair', True, 'one'))
                self.assertEqual(d[(1.0, 2)], 'pair')
                self.assertEqual(d[Color.RED], 'one')

    def test_sort_tuples(self):
        for method in METHODS:
            with self.subTest(method=method):
                ref = [(0.9, 'b'), (0.5, 'a'), (0.5, 'A'), (0.7, 'c')]
                lst = M.list(ref)
                finish(self, run(method, child_sort, lst))
                self.assertEqual(lst[:], sorted(ref))

    @needs_composite
    def test_lock_inside_a_dict_value(self):
        for method in METHODS:
            with self.subTest(method=method):
                d, out = M.dict(), M.Queue()
                d['job'] = {'lock': M.Lock(), 'n': 0}   # no other reference
                finish(self, run(method, child_job, d, out))
                self.assertIs(out.get(timeout=10), True)
                self.assertEqual(out.get(timeout=10), 0)
                lock = d['job']['lock']
                self.assertTrue(lock.locked())
                lock.release()
                self.assertTrue(d['job']['lock'].acquire(False))

    def test_unhashable_keys(self):
        d = M.dict(z=0)     # not empty: CPython's pop() of an empty dict
        bad = ([1], {}, {1}, bytearray(b'x'), (1, [2]), (1, (2, {})))
        for k in bad:   # says KeyError (or the default) before hashing
            with self.subTest(key=k):
                ref = {'z': 0}
                for op in ('set', 'get', 'in', 'getitem', 'del', 'pop',
                           'pop_default', 'setdefault', 'update'):
                    for target in (ref, d):
                        with self.assertRaises(TypeError, msg=op):
                            if op == 'set':
                                target[k] = 0
                            elif op == 'get':
                                target.get(k)
                            elif op == 'in':
                                k in target
                            elif op == 'getitem':
                                target[k]
                            elif op == 'del':
                                del target[k]
                            elif op == 'pop':
                                target.pop(k)
                            elif op == 'pop_default':
                                target.pop(k, None)
                            elif op == 'setdefault':
                                target.setdefault(k, 0)
                            else:
                                target.update([('ok', 1), (k, 1)])
                self.assertEqual(d.copy(), {'z': 0})

    def test_list_iterates_live(self):
        for method in METHODS:
            with self.subTest(method=method):
                lst = M.list([0, 1, 2])
                it = iter(lst)
                finish(self, run(method, child_set0, lst, 100))
                self.assertEqual(next(it), 100)
                lst.append(3)
                self.assertEqual(list(it), [1, 2, 3])
                it = iter(lst)
                next(it)
                del lst[1:]
                self.assertEqual(list(it), [])

    def test_dict_iterator_size_change(self):
        for method in METHODS:
            with self.subTest(method=method):
                d = M.dict(a=1, b=2)
                it = iter(d)
                self.assertEqual(next(it), 'a')
                finish(self, run(method, child_clear, d))
                with self.assertRaisesRegex(
                        RuntimeError, 'dictionary changed size during '
                        'iteration'):
                    next(it)
                with self.assertRaises(RuntimeError):   # sticky, as CPython
                    next(it)
        if VERSION:     # without versions a page may be stale (README)
            self.deleted_key_not_returned()
        d = M.dict(a=1)
        it = iter(d)
        self.assertEqual(list(it), ['a'])
        d['b'] = 2
        self.assertEqual(list(it), [])   # ended: stays ended, as CPython

    def deleted_key_not_returned(self):
        d = M.dict(dict.fromkeys(range(100)))
        it = iter(d)
        self.assertEqual([next(it) for _ in range(10)], list(range(10)))
        del d[20]               # the same size: no RuntimeError, and 20
        d[100] = None           # (in the page read already) not returned
        self.assertEqual(list(it), list(range(10, 20)) +
                         list(range(21, 101)))
        del d[10]
        d[10] = 0
        with self.assertRaises(StopIteration):
            next(it)


class Concurrent(unittest.TestCase):
    """Another process changing the container meanwhile."""

    def test_dict_iterated_while_values_change(self):
        keys = ['k%d' % i for i in range(300)]
        d = M.dict(dict.fromkeys(keys, 0))
        stop = M.Event()
        p = run('fork', child_replace, d, keys, stop)
        try:
            for _ in range(3):
                self.assertEqual(list(iter(d)), keys)   # no dup, no loss
                self.assertEqual(d.keys(), keys)
        finally:
            stop.set()
            finish(self, p)

    def test_dict_iterated_while_keys_are_added(self):
        d = M.dict(dict.fromkeys(range(50), 0))
        started, stop = M.Event(), M.Event()
        p = run('fork', child_add_keys, d, started, stop)
        try:
            self.assertTrue(started.wait(30))
            with self.assertRaises(RuntimeError):
                for k in d:
                    time.sleep(0.01)
        finally:
            stop.set()
            finish(self, p)

    def test_list_snapshot_while_reversed(self):
        n = 20000           # several pages
        lst = M.list(range(n))
        stop = M.Event()
        p = run('fork', child_reverse, lst, stop)
        up, down = list(range(n)), list(range(n - 1, -1, -1))
        try:
            for _ in range(8):
                for snap in (lst[:], lst.copy(), lst._getvalue()):
                    self.assertIn(snap, (up, down))
        finally:
            stop.set()
            finish(self, p)

    def test_dict_snapshot_while_updated(self):
        keys = list(range(12000))   # several pages
        d = M.dict(dict.fromkeys(keys, 0))
        stop = M.Event()
        p = run('fork', child_update, d, keys, stop)
        try:
            for _ in range(6):
                for vals in (d.values(), [v for _, v in d.items()],
                             list(d.copy().values())):
                    self.assertEqual(len(vals), len(keys))
                    self.assertEqual(len(set(vals)), 1, 'a torn snapshot')
        finally:
            stop.set()
            finish(self, p)

    @needs_version
    def test_sort_with_key_loses_no_append(self):
        for method in METHODS:
            with self.subTest(method=method):
                lst = M.list(range(3000))
                go = M.Event()
                ps = [run(method, child_append, lst, 10 ** 6 * (w + 1), 400,
                          go) for w in range(2)]
                go.set()
                for i in range(6):
                    lst.sort(key=lambda x: -x, reverse=bool(i % 2))
                for p in ps:
                    finish(self, p)
                want = sorted(list(range(3000)) + [
                    10 ** 6 * (w + 1) + i for w in range(2)
                    for i in range(400)])
                self.assertEqual(sorted(lst[:]), want)
                before = lst[:]     # stable: equal keys keep their order
                lst.sort(key=lambda x: x % 7, reverse=True)
                self.assertEqual(lst[:], sorted(before, key=lambda x: x % 7,
                                                reverse=True))


class Sort(unittest.TestCase):
    def check(self, vals, **kw):
        lst = M.list(vals)
        ref = list(vals)
        try:
            ref.sort(**kw)
        except Exception as e:
            with self.assertRaises(type(e)):
                lst.sort(**kw)
            self.assertEqual(lst[:], vals)      # unchanged
            return
        lst.sort(**kw)
        self.assertEqual(lst[:], ref)
        self.assertEqual([type(x) for x in lst[:]], [type(x) for x in ref])

    def test_as_list_sort(self):
        self.check([3, 1.5, True, -2])
        self.check(['b', 'a', 'C'])
        self.check(['b', 'a', 'C'], key=str.lower)
        self.check(['b', 'a', 'C'], key=str.lower, reverse=True)
        self.check([(1, 'b'), (1, 'a'), (0, 'z')], reverse=True)
        self.check([(2, 'x'), (1, 'y'), (2, 'a')], key=lambda t: t[0])  # stable
        self.check([[2], [1, 5], [1]])
        self.check([frozenset({1, 2}), frozenset({1})])
        self.check([2 ** 70, 1, -2 ** 80, 0.5])
        self.check(['a', 1])                    # TypeError, unchanged
        self.check([(1, 'a'), (1, 2)])          # TypeError, unchanged
        self.check([1, 2], key=1)               # TypeError: not callable
        self.check([None, None])                # equal: nothing compared
        self.check([None, 1])                   # TypeError
        self.check([{'a': 1}, {'b': 2}], key=lambda d: sorted(d))

    def test_positional_is_refused(self):
        with self.assertRaises(TypeError):
            M.list([1]).sort(None)


class Values(unittest.TestCase):
    """Round trips and comparisons of what the binding stores typed."""

    VALUES = [(1, 2), (1, (2, (3, ()))), [1, 'a', None], {'a': [1, (2,)]},
              frozenset({1, 'x'}), {1, 2}, 2 ** 64, -2 ** 100, 2 ** 63,
              Color.GREEN, Name('n'), (Color.RED, Name('x'), 2 ** 70),
              ('\udc80',), (), [], {}]

    def test_round_trip(self):
        d, lst, q = M.dict(), M.list(), M.Queue()
        for v in self.VALUES:
            with self.subTest(v=v):
                d['v'] = v
                lst.append(v)
                q.put(v)
                for got in (d['v'], lst[-1], q.get(timeout=5)):
                    self.assertEqual(got, v)
                    self.assertIs(type(got), type(v))

    def test_nested_types_come_back(self):
        d = M.dict()
        d['x'] = v = {'t': (Color.RED, 1.5), 'l': [Name('a'), b'b'],
                      'f': frozenset({(1, 2)})}
        got = d['x']
        self.assertEqual(got, v)
        self.assertIs(type(got['t'][0]), Color)
        self.assertIs(type(got['l'][0]), Name)

    @needs_composite
    def test_compare_as_python(self):
        lst = M.list([(1, 2), 2 ** 70, frozenset({1, 2}), Color.GREEN,
                      Name('s'), {'a': (1,)}, [1.0, 2]])
        for probe, index in (((1.0, 2), 0), ((True, 2.0), 0),
                             (float(2 ** 70), 1), (frozenset({2.0, 1}), 2),
                             (2, 3), (Color.GREEN, 3), ('s', 4),
                             ({'a': (1.0,)}, 5), ([1, 2], 6)):
            with self.subTest(probe=probe):
                self.assertIn(probe, lst)
                self.assertEqual(lst.index(probe), index)
                self.assertEqual(lst.count(probe), 1)
        self.assertNotIn(2 ** 70 + 1, lst)
        self.assertNotIn((1, 2, 3), lst)
        lst.remove((True, 2))
        self.assertEqual(lst[0], 2 ** 70)
        d = M.dict()
        d[2 ** 80] = 'big'
        d[frozenset({1, 2})] = 'fs'
        d[Name('k')] = 'name'
        self.assertEqual(d[float(2 ** 80)], 'big')
        self.assertEqual(d[frozenset({2, 1})], 'fs')
        self.assertEqual(d['k'], 'name')
        self.assertEqual(d.keys(), [2 ** 80, frozenset({1, 2}), Name('k')])
        self.assertIs(type(d.keys()[2]), Name)
        v = M.Value('O', (1, 2))
        self.assertTrue(v.compare_and_swap((1.0, 2), Color.RED))
        self.assertIs(v.value, Color.RED)
        self.assertTrue(v.compare_and_swap(1, 2 ** 70))
        self.assertFalse(v.compare_and_swap(2 ** 70 + 1, 0))

    @needs_composite
    def test_handles_anywhere(self):
        lst = M.list()
        lk, ev = M.Lock(), M.Event()
        lst.append((lk, [ev, {'q': M.Queue()}]))
        lk2, (ev2, inner) = lst[0]
        self.assertEqual(lk2, lk)
        ev.set()
        self.assertTrue(ev2.is_set())
        inner['q'].put(1)
        self.assertEqual(lst[0][1][1]['q'].get(timeout=5), 1)

    @needs_composite
    def test_handle_in_a_pickle_travels_as_a_reference(self):
        # A value with no typed form is pickled; a syncmgr object inside
        # it travels as a reference and works in another process: the
        # module holds it until its first unpickling (the sender dropped
        # it here), later readers need a live handle somewhere (as with a
        # pickled manager proxy).
        for method in METHODS:
            with self.subTest(method=method):
                d, out = M.dict(), M.Queue()
                d['h'] = [Holder(M.Lock())]     # dropped: held by the token
                finish(self, run(method, child_holder_lock, d, out))
                self.assertIs(out.get(timeout=10), True)
                lock = M.Lock()
                d['h'] = [Holder(lock)]         # kept: any number of readers
                finish(self, run(method, child_holder_lock, d, out))
                self.assertIs(out.get(timeout=10), True)
                self.assertTrue(lock.locked())
                self.assertEqual(d['h'][0].x, lock)
                lock.release()
        d = M.dict()
        d['h'] = [Holder(1)]
        self.assertEqual(d.pop('h'), [Holder(1)])
        lock = M.Lock()
        deep = lock
        for _ in range(40):                 # deeper than max_value_depth
            deep = (deep,)
        d['deep'] = deep
        got = d['deep']
        for _ in range(40):
            got, = got
        self.assertEqual(got, lock)

    def test_deep_values_are_pickled(self):
        deep = ()
        for _ in range(60):
            deep = (deep, 1)
        d = M.dict()
        d['x'] = deep
        self.assertEqual(d['x'], deep)


class Arrays(unittest.TestCase):
    def test_slices_are_array_array(self):
        for tc, init in (('i', [1, 2, 3]), ('d', [0.5, 1.5]),
                         ('u', 'abc'), ('Q', [1, 2])):
            with self.subTest(tc=tc):
                a = M.Array(tc, init)
                ref = array.array(tc, init)
                self.assertEqual(a[:], ref)
                self.assertIs(type(a[:]), array.array)
                self.assertEqual(a[::-1], ref[::-1])
                self.assertEqual(a[1:1], ref[1:1])
                self.assertEqual(a._getvalue(), ref)

    def test_u(self):
        a = M.Array('u', 'héllo\U0001f600')
        self.assertEqual(a[1], 'é')
        self.assertEqual(a[5], '\U0001f600')
        a[0] = 'H'
        a[1:3] = 'EL'
        self.assertEqual(a[:].tounicode(), 'HELlo\U0001f600')
        for bad in (1, 'ab', '', b'x'):
            with self.subTest(bad=bad):
                with self.assertRaises(TypeError):
                    array.array('u', 'x')[0] = bad
                with self.assertRaises(TypeError):
                    a[0] = bad
        self.assertEqual(M.Array('u', 2)[:], array.array('u', '\0\0'))

    def test_q_beyond_int64(self):
        for tc in 'QL':
            with self.subTest(tc=tc):
                a = M.Array(tc, [2 ** 63 - 1, 0])
                a.add(0, 1)                 # 2**63: comes out a BIGINT
                self.assertEqual(a[0], 2 ** 63)
                self.assertEqual(a[:], array.array(tc, [2 ** 63, 0]))
                with self.assertRaises(OverflowError):
                    a[1] = 2 ** 64
                with self.assertRaises(OverflowError):
                    a[1] = -1
                with self.assertRaises(OverflowError):
                    array.array(tc, [2 ** 64])

    @needs_composite
    def test_q_stores_up_to_2_64_minus_1(self):
        for tc in 'QL':
            with self.subTest(tc=tc):
                a = M.Array(tc, [2 ** 64 - 1, 2 ** 63])
                self.assertEqual(a[:], array.array(tc, [2 ** 64 - 1, 2 ** 63]))
                a[1] = 2 ** 64 - 2
                self.assertEqual(a[1], 2 ** 64 - 2)
                with self.assertRaises(OverflowError):
                    M.Array(tc, [2 ** 64])


if __name__ == '__main__':
    unittest.main()
