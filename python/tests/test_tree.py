"""The binding's composite values laid out as Documentation/abi.md
("Composite values") says, byte for byte, and read back; no module
needed (python3 python/tests/run.py test_tree)."""
import enum
import pickle
import struct
import unittest

from syncmgr import _tree

H = struct.Struct('=HHIQ')


def hdr(t, ln=0, data=0):
    return H.pack(t, 0, ln, data)


class Color(enum.IntEnum):
    RED = 1


class Layout(unittest.TestCase):
    def test_tuple_of_scalars(self):
        t, data, n = _tree.pack((1, 'ab', None), [])
        self.assertEqual((t, n), (_tree.VAL_TUPLE, 3))
        self.assertEqual(data, hdr(2, 0, 1) + hdr(5, 2) + b'ab' + b'\0' * 6 +
                         hdr(0))

    def test_nested_dict_counts_pairs(self):
        t, data, n = _tree.pack(({1: 2},), [])
        self.assertEqual(data, hdr(10, 32, 1) + hdr(2, 0, 1) + hdr(2, 0, 2))
        t, data, n = _tree.pack({1: 2}, [])
        self.assertEqual((t, n), (_tree.VAL_DICT, 2))   # sm_value: values

    def test_tagged(self):
        tag = pickle.dumps(Color, pickle.HIGHEST_PROTOCOL)
        pad = b'\0' * (-len(tag) % 8)
        t, data, n = _tree.pack(Color.RED, [])
        self.assertEqual((t, n), (_tree.VAL_TAGGED, 2))
        self.assertEqual(data, hdr(4, len(tag)) + tag + pad + hdr(2, 0, 1))
        t, data, n = _tree.pack((Color.RED,), [])
        inner = hdr(4, len(tag)) + tag + pad + hdr(2, 0, 1)
        self.assertEqual(data, hdr(13, len(inner), 0) + inner)

    def test_bigint_fewest_bytes(self):
        for v, b in ((2 ** 63, b'\0' * 7 + b'\x80\0'),
                     (-2 ** 63 - 1, b'\xff' * 7 + b'\x7f\xff'),
                     (2 ** 64 - 1, b'\xff' * 8 + b'\0')):
            self.assertEqual(_tree.pack(v, []), (_tree.VAL_BIGINT, b, 0))
            self.assertEqual(_tree.unpack_tree(_tree.VAL_BIGINT, b, 0), v)

    def test_round_trip(self):
        for v in ((1, (2.5, b'x')), [True, [None]], {'k': frozenset({1})},
                  frozenset({(1, 2)}), {3, 4}, (2 ** 100, -2 ** 70),
                  (Color.RED,), ()):
            t, data, n = _tree.pack(v, [])
            back = _tree.unpack_tree(t, data, n)
            self.assertEqual(back, v)
            self.assertIs(type(back), type(v))

    def test_not_typed(self):
        deep = ()
        for _ in range(_tree.MAX_DEPTH + 1):
            deep = (deep,)
        for v in (deep, (object(),), ('\udc80',),
                  __import__('collections').defaultdict(int)):
            with self.assertRaises(_tree.NotTyped):
                _tree.pack(v, [])


if __name__ == '__main__':
    unittest.main()
