"""Queue, Value, Array, dict, list, Namespace against Python's queue.Queue,
dict, list and array as the oracle; typed values and nesting."""
import array
import pickle
import queue
import unittest

import syncmgr

M = syncmgr.Manager()
VALUES = [None, True, False, 0, -1, 2**63 - 1, -2**63, 2**70, -2**64, 1.5,
          float('inf'), '', 'héllo', '\udcff', b'', b'\x00\xff', (1, 'a'),
          [1, [2]], {'k': {1, 2}}, frozenset({3})]


def outcome(fn, *a, **kw):
    try:
        r = fn(*a, **kw)
        if type(r).__name__ in ('dict_keys', 'dict_values', 'dict_items'):
            r = list(r)      # the manager's proxy returns lists
        return ('ok', r)
    except Exception as e:
        return ('exc', type(e))


class Data(unittest.TestCase):
    def same(self, mine, ref, calls):
        for name, args in calls:
            r = outcome(getattr(ref, name), *args)
            m = outcome(getattr(mine, name), *args)
            self.assertEqual(m, r, '%s%r' % (name, args))

    def test_values_roundtrip(self):
        for v in VALUES:
            val = M.Value('O', v)
            self.assertEqual(val.value, v)
            self.assertIs(type(val.value), type(v))
        q = M.Queue()
        for v in VALUES:
            q.put(v)
        self.assertEqual([q.get() for _ in VALUES], VALUES)

    def test_queue(self):
        for maxsize in (0, 2, -1):
            self.same(M.Queue(maxsize), queue.Queue(maxsize), [
                ('get_nowait', ()), ('get', (True, 0.01)), ('qsize', ()),
                ('empty', ()), ('full', ()), ('put', (1,)), ('put', ('b',)),
                ('put', (3, True, 0.01)), ('put_nowait', (4,)),
                ('put', (5, True, -1)), ('qsize', ()), ('full', ()),
                ('get', ()), ('get', (False,)), ('get', (True, -1)),
                ('task_done', ()), ('task_done', ()), ('task_done', ()),
                ('task_done', ()), ('task_done', ()), ('task_done', ()),
                ('join', ()), ('empty', ())])

    def test_joinable_queue(self):
        q = M.JoinableQueue()
        q.put(1)
        self.assertFalse(q.join(0.01))
        q.get()
        q.task_done()
        self.assertIsNone(q.join())
        self.assertTrue(q.join(1))
        self.assertRaises(ValueError, q.task_done)

    def test_value(self):
        v = M.Value('i', 5)
        v.value += 3
        self.assertEqual((v.get(), v.typecode), (8, 'i'))
        v.set('x')
        self.assertEqual(v.value, 'x')
        n = M.Value('d', 1.0)
        self.assertEqual(n.add(0.5), 1.0)
        self.assertEqual(n.value, 1.5)
        c = M.Value('q', 0)
        self.assertEqual(c.add(2), 0)
        self.assertTrue(c.compare_and_swap(2, 9))
        self.assertFalse(c.compare_and_swap(2, 10))
        self.assertEqual(c.value, 9)
        import ctypes
        self.assertIs(M.Value(ctypes.c_char_p, 'x').typecode, ctypes.c_char_p)

    def test_array(self):
        for tc, init in (('i', [1, -2, 3, 4, 5]), ('d', [0.5, 1.5, 2.5]),
                         ('B', [0, 255, 7])):
            a, ref = M.Array(tc, init), array.array(tc, init)
            self.assertEqual(len(a), len(ref))
            self.assertEqual(a.typecode, tc)
            for i in range(-len(ref) - 1, len(ref) + 1):
                self.assertEqual(outcome(a.__getitem__, i),
                                 outcome(ref.__getitem__, i))
            for sl in (slice(None), slice(1, None), slice(None, None, -1),
                       slice(-2, None), slice(0, 100, 2), slice(3, 1)):
                self.assertEqual(a[sl], ref[sl], sl)   # array.array, as the manager's
            a[0] = 7
            ref[0] = 7
            a[1:3] = [9, 8]
            ref[1:3] = array.array(tc, [9, 8])
            self.assertEqual(list(a), ref.tolist())
        b = M.Array('b', [0])
        self.assertRaises(OverflowError, b.__setitem__, 0, 200)
        self.assertRaises(TypeError, b.__setitem__, 0, 1.5)
        self.assertRaises(IndexError, b.__setitem__, 3, 1)
        self.assertRaises(ValueError, b.__setitem__, slice(None), [1, 2])
        self.assertEqual(b.add(0, 5), 0)
        self.assertEqual(b[0], 5)

    def test_dict(self):
        d, ref = M.dict(), {}
        for k, v in [('a', 1), (1, 'one'), (2.5, None), (b'k', [1]),
                     ((1, 2), {'x': 1}), (True, 'true')]:
            d[k] = v
            ref[k] = v
        self.assertEqual(d.items(), list(ref.items()))
        self.assertEqual(d, ref)
        self.same(d, ref, [
            ('__getitem__', ('a',)), ('__getitem__', ('zz',)),
            ('__getitem__', (1.0,)), ('get', ('zz', 5)), ('get', ('a',)),
            ('__contains__', ((1, 2),)), ('__len__', ()),
            ('pop', ('a',)), ('pop', ('a',)), ('pop', ('a', 0)),
            ('setdefault', ('s', 3)), ('setdefault', ('s', 4)),
            ('__delitem__', ('s',)), ('__delitem__', ('s',)),
            ('popitem', ()), ('keys', ()), ('values', ()),
            ('update', ({'u': 1},)), ('update', ([('v', 2)],)),
            ('copy', ()), ('clear', ()), ('popitem', ()), ('__len__', ())])
        d.update(x=1)
        self.assertEqual(list(d), ['x'])
        big = M.dict((i, str(i)) for i in range(3000))
        self.assertEqual(big.keys(), list(range(3000)))

    def test_same_key_again(self):
        # a call's first value is not written again when it is the object
        # put there last time: every change of key, type or payload after it
        k, long_k, bad = 'key', 'k' * 2000, '\udcff'
        d, ref = M.dict(), {}
        for key, val in [(k, 1), (k, 'v' * 10), (1, k), (k, b'x'), (b'k', k),
                         (k, None), (None, k), (long_k, k), (k, 'y' * 2000),
                         (bad, k), (k, bad), (True, 2.5), (1, 7), (k, k),
                         (2**70, k), (k, 2**70), (k, M.Value('i', 3))]:
            d[key] = val
            ref[key] = val
            got = d[key]
            want = ref[key]
            if isinstance(want, syncmgr.Value):
                self.assertEqual(got.sm_id, want.sm_id)
            else:
                self.assertEqual((type(got), got), (type(want), want))
            self.assertEqual(d.get(k, 'none'), ref.get(k, 'none'))
            self.assertEqual(len(d), len(ref))
        ns, lst = M.Namespace(), M.list()
        for v in (k, k, 1, k, b'k', k):
            ns.key = v
            lst.append(v)
            self.assertEqual((ns.key, lst[-1], lst.pop()), (v, v, v))
            self.assertEqual(d[k] if k in d else None, ref.get(k))

    def test_list(self):
        init = [3, 1, 'x', 2.5, None, b'b', 1]
        li, ref = M.list(init), list(init)
        self.same(li, ref, [
            ('__len__', ()), ('__getitem__', (0,)), ('__getitem__', (-1,)),
            ('__getitem__', (7,)), ('__getitem__', (slice(1, 5, 2),)),
            ('__getitem__', (slice(None, None, -1),)),
            ('__contains__', (1.0,)), ('count', (1,)), ('index', (1,)),
            ('index', (1, 2)), ('index', ('nope',)), ('remove', ('nope',)),
            ('remove', ('x',)), ('append', (9,)), ('insert', (-100, 0)),
            ('insert', (100, 'end')), ('pop', ()), ('pop', (0,)),
            ('pop', (99,)), ('__setitem__', (0, 'z')),
            ('__setitem__', (99, 'z')), ('__delitem__', (1,)),
            ('__setitem__', (slice(0, 2), [7, 8, 9])),
            ('__setitem__', (slice(None, None, 2), [1])),
            ('__delitem__', (slice(None, None, 3),)),
            ('reverse', ()), ('sort', ()), ('copy', ()),
            ('__add__', ([1],)), ('__mul__', (2,))])
        self.assertEqual(li[:], ref)
        li.clear()
        self.assertRaises(IndexError, li.pop)
        li += [3, 1, 2]
        li *= 2
        self.assertEqual(li, [3, 1, 2, 3, 1, 2])
        li.sort(reverse=True)
        self.assertEqual(li, [3, 3, 2, 2, 1, 1])
        li.sort(key=lambda x: -x)
        self.assertEqual(list(li), [3, 3, 2, 2, 1, 1])
        self.assertEqual(list(reversed(li)), [1, 1, 2, 2, 3, 3])
        big = M.list(range(5000))
        self.assertEqual(big[::-1], list(range(5000))[::-1])
        self.assertEqual(big[10:4000:3], list(range(5000))[10:4000:3])

    def test_namespace(self):
        ns = M.Namespace(a=1)
        ns.b = 'two'
        ns._local = 3
        self.assertEqual((ns.a, ns.b, ns._local), (1, 'two', 3))
        self.assertRaises(AttributeError, getattr, ns, 'nope')
        del ns.a
        self.assertRaises(AttributeError, delattr, ns, 'a')
        self.assertEqual(repr(ns), "Namespace(b='two')")

    def test_nesting(self):
        d = M.dict()
        lk, inner = M.Lock(), M.list([1])
        d['lock'] = lk
        d['inner'] = inner
        self.assertEqual(d['lock'], lk)
        d['inner'].append(2)
        self.assertEqual(inner, [1, 2])
        self.assertIsInstance(d['lock'], syncmgr.Lock)
        self.assertRaises(ValueError, inner.append, inner)
        q = M.Queue()
        q.put(d)
        self.assertEqual(q.get()['inner'][:], [1, 2])
        # a nested object inside a pickled blob is a reference too
        v = M.Value('O', (lk, 1))
        self.assertEqual(v.value[0], lk)


if __name__ == '__main__':
    unittest.main()
