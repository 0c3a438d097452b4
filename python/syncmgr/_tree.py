"""Composite values (Documentation/abi.md, "Composite values"): tuples,
lists and dicts stored by value, frozensets, ints beyond 64 bits, and
subclasses of the typed kinds (IntEnum, numpy.int64, numpy.float64, str and
bytes subclasses) as TAGGED values, laid out in the ABI's own format (a
struct syncmgr_value header, its payload, zero padding to 8) so that a value
goes to libsync, or to the raw data ioctl, as one bytes object.

pack(obj) -> (type, payload, n) for the top-level struct sm_value (n: the
elements of a composite), or raises NotTyped when obj (or something inside
it) has no typed form; then the caller pickles it into a BLOB, where a
syncmgr object inside travels as a reference (a held token), not a handle.

unpack_all(buf, n) reads n whole values from an ABI batch (bytes or a
memoryview), handles becoming syncmgr objects that own their new fds.
"""
import operator
import pickle
import struct

VAL_NONE, VAL_BOOL, VAL_INT, VAL_DOUBLE = 0, 1, 2, 3
VAL_BYTES, VAL_STR, VAL_BLOB, VAL_HANDLE = 4, 5, 6, 7
VAL_TUPLE, VAL_LIST, VAL_DICT, VAL_FROZENSET = 8, 9, 10, 11
VAL_BIGINT, VAL_TAGGED = 12, 13
TREE_TYPES = frozenset((VAL_TUPLE, VAL_LIST, VAL_DICT, VAL_FROZENSET,
                        VAL_TAGGED))

# The module's default max_value_depth (abi.md): a value inside a TUPLE is
# at depth 1.  Deeper values are pickled (the kernel would say EINVAL).
MAX_DEPTH = 32
try:    # the module's setting, when it has one (root may lower it)
    with open('/sys/module/syncmgr/parameters/max_value_depth') as _f:
        MAX_DEPTH = max(0, min(64, int(_f.read())))
except (OSError, ValueError):
    pass
MAX_HANDLES = 64        # SYNCMGR_MAX_TREE_HANDLES

_HQ = struct.Struct('=HHIQ')     # type, reserved, len, data (unsigned)
_Hq = struct.Struct('=HHIq')     # ... data as int64
_Hd = struct.Struct('=HHId')     # ... data as a double
_pack_Q, _pack_q, _pack_d = _HQ.pack, _Hq.pack, _Hd.pack
_unpack_Q, _unpack_q, _unpack_d = (_HQ.unpack_from, _Hq.unpack_from,
                                   _Hd.unpack_from)
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_PAD = (b'', b'\0' * 7, b'\0' * 6, b'\0' * 5, b'\0' * 4, b'\0' * 3,
        b'\0' * 2, b'\0')

_SyncObject = None


def _sync_object():
    global _SyncObject
    if _SyncObject is None:
        from ._base import SyncObject
        _SyncObject = SyncObject
    return _SyncObject


class NotTyped(Exception):
    """obj has no typed form (pickle it)."""


def bigint_bytes(n):
    """n (beyond int64) as the fewest bytes of two's complement, LE."""
    size = ((n if n >= 0 else ~n).bit_length() + 8) // 8
    return n.to_bytes(size, 'little', signed=True)


# --- tags ----------------------------------------------------------------------------
# A TAGGED value: the tag is the pickled reference of the class (BYTES),
# the value the plain object it dresses.  A class restores an object when
# cls(plain) gives it back exactly: the same object (an Enum member), or one
# of the same type, equal, with the same __dict__ (checked per value).
_tags = {}          # class -> tag bytes, or None: not picklable by reference
_classes = {}       # tag bytes -> class


def _tag_of(cls):
    try:
        return _tags[cls]
    except KeyError:
        pass
    try:
        tag = pickle.dumps(cls, pickle.HIGHEST_PROTOCOL)
        ok = pickle.loads(tag) is cls
    except Exception:
        ok = False
    tag = tag if ok else None
    _tags[cls] = tag
    if tag is not None:
        _classes[tag] = cls
    return tag


def _restores(cls, plain, obj):
    try:
        back = cls(plain)
        if back is obj:
            return True
        if type(back) is not cls or not back == obj:
            return False
        d = getattr(obj, '__dict__', None)
        return not d or getattr(back, '__dict__', None) == d
    except Exception:
        return False


_numbers_Real = None


def plain_of(obj):
    """The plain typed object a subclass instance dresses, or NotTyped:
    int / __index__ objects (IntEnum, numpy.int64) as int, float and
    other real numbers as float (numpy.float64, numpy.float32; checked
    by restoring), str, bytes, set as frozenset, subclasses of tuple,
    list, dict, frozenset as the plain container."""
    global _numbers_Real
    t = type(obj)
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, bytes):
        return bytes(memoryview(obj))
    if isinstance(obj, (int, float)) or hasattr(t, '__index__'):
        if isinstance(obj, float):
            return float(obj)
        try:
            return operator.index(obj)
        except TypeError:
            pass
    if t is set:
        return frozenset(obj)
    if isinstance(obj, tuple):
        return tuple(obj)
    if isinstance(obj, list):
        return list(obj)
    if isinstance(obj, dict):
        return dict(obj)
    if isinstance(obj, frozenset):
        return frozenset(obj)
    if _numbers_Real is None:
        import numbers
        _numbers_Real = numbers.Real
    if isinstance(obj, _numbers_Real) and hasattr(t, '__float__'):
        try:
            return float(obj)
        except Exception:
            pass
    raise NotTyped


# --- packing -------------------------------------------------------------------------
def pack(obj, keep):
    """The top-level (type, payload bytes, n) of a composite, BIGINT or
    TAGGED obj; keep holds the handles' objects alive until the store.
    Raises NotTyped (pickle it instead) when something inside has no typed
    form, is too deep, or there are too many handles."""
    t = type(obj)
    if t is int:
        return VAL_BIGINT, bigint_bytes(obj), 0
    st = [0]     # handles seen
    parts = []
    if t is tuple or t is list or t is frozenset:
        for e in obj:
            _pack1(e, parts, 1, st, keep)
        return _CTYPE[t], b''.join(parts), len(obj)
    if t is dict:
        for k, v in obj.items():
            _pack1(k, parts, 1, st, keep)
            _pack1(v, parts, 1, st, keep)
        return VAL_DICT, b''.join(parts), 2 * len(obj)
    tag = _tag_of(t)
    if tag is None:
        raise NotTyped
    plain = plain_of(obj)
    if type(plain) is type(obj) or not _restores(t, plain, obj):
        raise NotTyped
    parts.append(_pack_q(VAL_BYTES, 0, len(tag), 0))
    parts.append(tag)
    parts.append(_PAD[len(tag) & 7])
    _pack1(plain, parts, 1, st, keep)
    return VAL_TAGGED, b''.join(parts), 2


_CTYPE = {tuple: VAL_TUPLE, list: VAL_LIST, frozenset: VAL_FROZENSET,
          dict: VAL_DICT}


def _payload(parts, vt, data):
    n = len(data)
    parts.append(_pack_q(vt, 0, n, 0))
    parts.append(data)
    parts.append(_PAD[n & 7])


def _pack1(obj, parts, depth, st, keep):
    """Append obj as one whole value at depth."""
    t = type(obj)
    if t is int:
        if _I64_MIN <= obj <= _I64_MAX:
            parts.append(_pack_q(VAL_INT, 0, 0, obj))
        else:
            _payload(parts, VAL_BIGINT, bigint_bytes(obj))
    elif t is str:
        try:
            _payload(parts, VAL_STR, obj.encode('utf-8'))
        except UnicodeEncodeError:
            raise NotTyped from None
    elif obj is None:
        parts.append(_pack_q(VAL_NONE, 0, 0, 0))
    elif t is float:
        parts.append(_pack_d(VAL_DOUBLE, 0, 0, obj))
    elif t is bool:
        parts.append(_pack_q(VAL_BOOL, 0, 0, 1 if obj else 0))
    elif t is bytes:
        _payload(parts, VAL_BYTES, obj)
    elif t is tuple or t is list or t is frozenset or t is dict:
        if depth >= MAX_DEPTH:
            raise NotTyped
        sub = []
        if t is dict:   # the header counts pairs (abi.md)
            for k, v in obj.items():
                _pack1(k, sub, depth + 1, st, keep)
                _pack1(v, sub, depth + 1, st, keep)
            n = len(obj)
        else:
            for e in obj:
                _pack1(e, sub, depth + 1, st, keep)
            n = len(obj)
        data = b''.join(sub)
        parts.append(_pack_Q(_CTYPE[t], 0, len(data), n))
        parts.append(data)
    elif isinstance(obj, _sync_object()):
        st[0] += 1
        if st[0] > MAX_HANDLES:
            raise NotTyped
        keep.append(obj)
        parts.append(_pack_q(VAL_HANDLE, 0, 0, obj._fd))
    else:
        if depth >= MAX_DEPTH:
            raise NotTyped
        tag = _tag_of(t)
        if tag is None:
            raise NotTyped
        plain = plain_of(obj)
        if type(plain) is t or not _restores(t, plain, obj):
            raise NotTyped
        sub = [_pack_q(VAL_BYTES, 0, len(tag), 0), tag, _PAD[len(tag) & 7]]
        _pack1(plain, sub, depth + 1, st, keep)
        data = b''.join(sub)
        parts.append(_pack_Q(VAL_TAGGED, 0, len(data), 0))   # data 0
        parts.append(data)


def pack_value(obj, keep):
    """obj as one whole ABI value (header + payload), a BLOB when it has
    no typed form."""
    parts = []
    try:
        _pack1(obj, parts, 0, [0], keep)
    except NotTyped:
        parts = []
        _payload(parts, VAL_BLOB, blob(obj))
    return b''.join(parts)


# --- pickling what has no typed form ---------------------------------------------
def blob(obj):
    """pickle.dumps(obj).  A syncmgr object inside pickles as a reference
    (its type and token, _base.SyncObject.__reduce__), held by the module
    until its first unpickling or a minute passes (set_reference_hold)."""
    return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)


# --- unpacking -------------------------------------------------------------------------
def _unpack(buf, off, n, fds):
    """(n objects, the offset after them).  fds: handle fds not yet owned
    (they are collected first, then wrapped, so a failure closes all)."""
    out = []
    for _ in range(n):
        t, _r, ln, data = _unpack_Q(buf, off)
        off += 16
        if t == VAL_INT:
            out.append(_unpack_q(buf, off - 16)[3])
        elif t == VAL_STR:
            out.append(str(buf[off:off + ln], 'utf-8'))
        elif t == VAL_NONE:
            out.append(None)
        elif t == VAL_DOUBLE:
            out.append(_unpack_d(buf, off - 16)[3])
        elif t == VAL_BOOL:
            out.append(bool(data))
        elif t == VAL_BYTES:
            out.append(bytes(buf[off:off + ln]))
        elif t == VAL_BLOB:
            out.append(_Later(pickle.loads, bytes(buf[off:off + ln])))
        elif t == VAL_HANDLE:
            fd = data & 0xffffffff
            fds.append(fd)
            out.append(_Handle(fd))
        elif t == VAL_BIGINT:
            out.append(int.from_bytes(buf[off:off + ln], 'little',
                                      signed=True))
        elif t in TREE_TYPES:
            # data: the elements; a DICT's pairs; a TAGGED's 0 (tag, value)
            count = 2 * data if t == VAL_DICT else 2 if t == VAL_TAGGED \
                else data
            elems, end = _unpack(buf, off, count, fds)
            out.append(_Tree(t, elems))
        else:
            raise ValueError('unknown syncmgr value type %d' % t)
        off += (ln + 7) & ~7
    return out, off


class _Handle:
    __slots__ = ('fd',)

    def __init__(self, fd):
        self.fd = fd


class _Later:
    __slots__ = ('fn', 'arg')

    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg


class _Tree:
    __slots__ = ('t', 'elems')

    def __init__(self, t, elems):
        self.t, self.elems = t, elems


def unpack_tree(t, data, n):
    """The Python object of a top-level composite (type t, payload data
    holding n values); BIGINT: data is its bytes."""
    if t == VAL_BIGINT:
        return int.from_bytes(data, 'little', signed=True)
    return unpack_build(_Tree(t, None), data, n)


def _close_all(fds):
    """Close the handle fds of a value that failed to unpack halfway (no
    object owns them yet)."""
    import os
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def unpack_build(tree, data, n):
    fds = []
    try:
        elems, _ = _unpack(data, 0, n, fds)
        tree.elems = elems
        return _build(tree, fds)
    except BaseException:
        _close_all(fds)
        raise


def _build(x, fds):
    """The object of a decoded value (fds: those not owned yet; a handle
    taken from it is owned by its object from then on)."""
    tx = type(x)
    if tx is _Handle:
        from ._base import from_fd
        fds.remove(x.fd)
        return from_fd(x.fd)
    if tx is _Later:
        return x.fn(x.arg)
    if tx is not _Tree:
        return x
    t, e = x.t, x.elems
    if t == VAL_TUPLE:
        return tuple([_build(y, fds) for y in e])
    if t == VAL_LIST:
        return [_build(y, fds) for y in e]
    if t == VAL_DICT:
        vals = [_build(y, fds) for y in e]
        return dict(zip(vals[::2], vals[1::2]))
    if t == VAL_FROZENSET:
        return frozenset([_build(y, fds) for y in e])
    # TAGGED: the tag, then the value
    tag = _build(e[0], fds)
    plain = _build(e[1], fds)
    cls = _classes.get(tag) if type(tag) is bytes else None
    if cls is None:
        cls = pickle.loads(tag)
        _classes[tag] = cls
    return cls(plain)


def unpack_all(buf, n, off=0):
    """n whole values of a batch at buf[off:], as Python objects (see
    unpack)."""
    fds = []
    try:
        items, _ = _unpack(buf, off, n, fds)
        return [_build(x, fds) for x in items]
    except BaseException:
        _close_all(fds)
        raise


def tree_fds(data, n):
    """The handle fds inside n whole values at data (to close them)."""
    fds = []
    try:
        _unpack(data, 0, n, fds)
    except Exception:
        pass
    return fds
