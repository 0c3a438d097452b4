"""Queue, JoinableQueue, Value, Array, dict, list, Namespace: the shared
data of SyncManager, held in the kernel as typed values (None, bool, int64,
float, str, bytes, a nested syncmgr object; anything else pickled)."""
import ctypes
import errno
import operator as _operator
import queue as _queue

from . import _lib
from ._lib import (lib, raw, check, call_until, call_out, deadline, value,
                   values, decode, decode_all, SmValue, SmSlice)
from ._lib import FOREVER, TOO_LONG, IN0, IN1, OUT0, give, take, too_long
from . import _snap
from ._base import SyncObject, register

__all__ = ['Queue', 'JoinableQueue', 'Value', 'Array', 'Dict', 'List',
           'Namespace']

_I64_MAX = (1 << 63) - 1
_U64_MAX = (1 << 64) - 1
_EAGAIN, _ETIMEDOUT, _EINTR = -errno.EAGAIN, -errno.ETIMEDOUT, -errno.EINTR
_EMSGSIZE, _ENOENT, _ERANGE = -errno.EMSGSIZE, -errno.ENOENT, -errno.ERANGE
# the hot paths call libsync without argtypes (_lib._Raw): indexes go as
# the scratch's c_int64 (s.i64), deadlines as c_uint64 objects
_q_put_until, _q_get_until = raw.sm_queue_put_until, raw.sm_queue_get_until
_q_get_nowait = raw.sm_queue_get_nowait
_v_get, _v_set = raw.sm_value_get, raw.sm_value_set
_a_get, _a_set = raw.sm_array_get, raw.sm_array_set
_d_get, _d_set = raw.sm_dict_get, raw.sm_dict_set
_d_del, _d_contains = raw.sm_dict_del, raw.sm_dict_contains
_l_append, _l_pop, _l_get = raw.sm_list_append, raw.sm_list_pop, raw.sm_list_get
_l_set, _l_len = raw.sm_list_set, raw.sm_list_len
_MISSING = object()
# Keys of these types are hashable; any other key is hashed before it goes
# anywhere (an unhashable key is Python's TypeError, nothing stored)
_SCALARS = frozenset((str, int, float, bool, bytes, type(None)))


# Dict.__getitem__, Dict.__setitem__ and Namespace.__getattribute__ have
# these bodies inlined: in the guest one Python call level costs ~1.5 us of
# the ~11 of a dict[k].
def _dict_lookup(fd, key):
    """dict[key] on the fd: the value, or _MISSING."""
    s = take()
    try:
        s.put(key, IN0)
        ret = _d_get(fd, s.p0, s.po, s.pbuf)
        if ret < 0 and _dict_get_failed(s, ret, fd):
            return _MISSING
        return s.get(OUT0)
    finally:
        give(s)


def _dict_get_failed(s, ret, fd):
    """After _d_get(fd, s.p0, s.po, s.pbuf) returned ret < 0: True when the
    key is missing, False when a retry with a grown buffer got the value
    into s; any other error raises."""
    if ret == _EMSGSIZE:
        ret = s.again(ret, _d_get, fd, s.p0, s.po)
    if ret == _ENOENT:
        return True
    check(ret, 'getitem')
    return False


def _dict_store(fd, key, val):
    s = take()
    try:
        s.put(val, IN1, s.put(key, IN0))
        ret = _d_set(fd, s.p0, s.p1)
    finally:
        give(s)
    if ret < 0:
        _data_err(ret, 'setitem')


def _get1(fn, *args):
    """fn(*args, &out, &buf) -> the decoded value, or the negative errno."""
    out = SmValue()
    ret = call_out(fn, *args, ctypes.byref(out))
    if ret < 0:
        return None, ret
    return decode(out), ret


@register(_lib.TYPE_QUEUE)
class Queue(SyncObject):
    """queue.Queue (and JoinableQueue: task_done/join) across processes."""
    __slots__ = ()

    def __init__(self, maxsize=0):
        self._init_fd(lib.sm_queue_create(
            _lib.u32(max(0, maxsize), 'a syncmgr Queue\'s maxsize'), 0))

    @staticmethod
    def _timeout(block, timeout):
        if not block:
            return 0
        if timeout is not None and timeout < 0:
            raise ValueError("'timeout' must be a non-negative number")
        return timeout

    def put(self, item, block=True, timeout=None):
        if block and timeout is None:
            s = take()
            try:
                s.put(item, IN0)
                ret = _q_put_until(self._fd, s.p0, FOREVER)
                if ret == _EINTR:   # a handler runs on entry to call_until
                    ret = call_until(_q_put_until, self._fd, s.p0, FOREVER)
            finally:
                give(s)
            if ret < 0:
                if ret == _EAGAIN or ret == _ETIMEDOUT:
                    raise _queue.Full
                check(ret, 'put')
            return
        keep = []
        v = value(item, keep)
        if timeout is not None and timeout < 0 and self.maxsize == 0:
            timeout = None   # queue.Queue checks it only when bounded
        t = self._timeout(block, timeout)
        d = None
        if t == 0:
            ret = lib.sm_queue_put_nowait(self._fd, ctypes.byref(v))
        else:
            d = deadline(t)
            ret = call_until(lib.sm_queue_put_until, self._fd,
                             ctypes.byref(v), d)
        if ret in (-errno.EAGAIN, -errno.ETIMEDOUT):
            if d is TOO_LONG:
                raise too_long()     # as queue.Queue: only if it would wait
            raise _queue.Full
        check(ret, 'put')

    def get(self, block=True, timeout=None):
        t = self._timeout(block, timeout)
        fd = self._fd
        s = take()
        try:
            if t == 0:
                ret = _q_get_nowait(fd, s.po, s.pbuf)
                if ret == _EMSGSIZE:
                    ret = s.again(ret, _q_get_nowait, fd, s.po)
            else:
                d = FOREVER if t is None else deadline(t)
                ret = _q_get_until(fd, s.po, s.pbuf, d)
                if ret == _EMSGSIZE or ret == _EINTR:
                    ret = s.again(ret, _q_get_until, fd, s.po, d, until=True)
            if ret < 0:
                if ret == _EAGAIN or ret == _ETIMEDOUT:
                    if t != 0 and d is TOO_LONG:
                        raise too_long()
                    raise _queue.Empty
                check(ret, 'get')
            return s.get(OUT0)
        finally:
            give(s)

    def put_nowait(self, item):
        return self.put(item, False)

    def get_nowait(self):
        return self.get(False)

    def qsize(self):
        return check(lib.sm_queue_qsize(self._fd))

    def empty(self):
        return bool(check(lib.sm_queue_empty(self._fd)))

    def full(self):
        return bool(check(lib.sm_queue_full(self._fd)))

    @property
    def maxsize(self):
        return self._state().max    # whole: sm_queue_maxsize() clamps it

    def task_done(self):
        ret = lib.sm_queue_task_done(self._fd)
        if ret == -errno.EINVAL:
            raise ValueError('task_done() called too many times')
        check(ret, 'task_done')

    def join(self, timeout=None):
        """Blocks until every item put was marked done (timeout: seconds,
        an extension: returns False when it ran out)."""
        d = deadline(timeout)
        ret = call_until(lib.sm_queue_join_until, self._fd, d)
        if ret == -errno.ETIMEDOUT:
            if d is TOO_LONG:
                raise too_long()
            return False
        check(ret, 'join')
        return None if timeout is None else True


JoinableQueue = Queue


@register(_lib.TYPE_VALUE)
class Value(SyncObject):
    """The manager's Value(typecode, value): .value, get(), set(); plus
    atomic add() and compare_and_swap(), which the manager lacks."""
    __slots__ = ()

    def __init__(self, typecode, value_=None, lock=True):
        keep = []
        v = value(value_, keep)
        if isinstance(typecode, int):
            tc = typecode
            if not _lib.INT_MIN <= tc <= _lib.INT_MAX:
                raise OverflowError('an int typecode must fit a C int')
        else:
            tc = _typecode_int(typecode)
        self._init_fd(lib.sm_value_create(tc, ctypes.byref(v), 0))

    def get(self):
        fd = self._fd
        s = take()
        try:
            ret = _v_get(fd, s.po, s.pbuf)
            if ret == _EMSGSIZE:
                ret = s.again(ret, _v_get, fd, s.po)
            if ret < 0:
                check(ret, 'get')
            return s.get(OUT0)
        finally:
            give(s)

    def set(self, new):
        s = take()
        try:
            s.put(new, IN0)
            ret = _v_set(self._fd, s.p0)
        finally:
            give(s)
        if ret < 0:
            check(ret, 'set')

    value = property(get, set)

    @property
    def typecode(self):
        tc = check(lib.sm_value_typecode(self._fd))
        if tc in _TYPECODES:
            return _TYPECODES[tc]
        return chr(tc) if 0 < tc < 0x10000 else tc

    def add(self, delta):
        """Atomically value += delta (int or float); returns the old value."""
        if type(delta) is not int and not isinstance(delta, float):
            delta = _num(delta)     # numpy ints through __index__
        if isinstance(delta, float):
            old = ctypes.c_double()
            ret = lib.sm_value_add_double(self._fd, delta, ctypes.byref(old))
            kind = old
        else:
            if not _lib._INT64_MIN <= delta <= _lib._INT64_MAX:
                # never truncated to 64 bits: a float value takes it as a
                # float, an int64 one would overflow
                if isinstance(self.get(), float):
                    return self.add(float(delta))
                raise OverflowError('int64 overflow')
            old = ctypes.c_int64()
            ret = lib.sm_value_add(self._fd, delta, ctypes.byref(old))
            if ret == -errno.EINVAL:   # a float value: add as float
                return self.add(float(delta))
        if ret == -errno.EINVAL:
            raise TypeError('Value.add needs a number value')
        if ret == -errno.ERANGE:
            raise OverflowError('int64 overflow')
        check(ret, 'add')
        return old.value

    def compare_and_swap(self, expected, new):
        """Atomically: if value == expected, value = new.  Returns True if it
        stored."""
        keep = []
        e, n = value(expected, keep), value(new, keep)
        ret = call_out(lib.sm_value_cas, self._fd, ctypes.byref(e),
                       ctypes.byref(n), None)
        return bool(check(ret, 'compare_and_swap'))

    def __repr__(self):
        return '%s(%r, %r)' % (type(self).__name__, self.typecode, self.get())

    def _getvalue(self):
        """A local copy: the manager's own Value(typecode, value), as its
        proxy's _getvalue() and copy.deepcopy() return."""
        from multiprocessing.managers import Value as LocalValue
        return LocalValue(self.typecode, self.get())

    def __deepcopy__(self, memo):
        return self._getvalue()


_TYPECODES = {}


def _typecode_int(tc):
    if isinstance(tc, str) and len(tc) == 1:
        return ord(tc)
    # a ctypes type or anything else the manager would keep: remember it
    key = 0x10000 + len(_TYPECODES)
    for k, v in _TYPECODES.items():
        if v is tc:
            return k
    _TYPECODES[key] = tc
    return key


_ARRAY_CODES = 'bBuhHiIlLqQfd'


@register(_lib.TYPE_ARRAY)
class Array(SyncObject):
    """The manager's Array(typecode, sequence): a fixed-length array of
    numbers (typecode b B h H i I l L q Q f d) or characters (u) with
    len, indexing and slices (array.array objects, as the manager's);
    atomic add()/compare_and_swap() on integer elements.  Numbers that
    are not Python's own (numpy scalars, Decimal) go in as array.array
    takes them: through __index__, or __float__ for f and d."""
    __slots__ = ()

    def __init__(self, typecode, sequence, lock=True):
        if typecode not in _ARRAY_CODES or len(typecode) != 1:
            raise ValueError('bad typecode (must be b, B, u, h, H, i, I, l, '
                             'L, q, Q, f or d)')
        if isinstance(sequence, int):
            sequence = ('\0' if typecode == 'u' else 0,) * sequence
        seq = _numbers(list(sequence), typecode)
        keep = []
        vals = values(seq, keep)
        ret = lib.sm_array_create(ord(typecode), vals if seq else None,
                                  len(seq), 0)
        if ret < 0 and ret != -errno.ENOENT:   # ENOENT: no device
            _array_err(ret, 'Array')
        self._init_fd(ret)

    @property
    def typecode(self):
        return chr(check(lib.sm_array_typecode(self._fd)))

    def __len__(self):
        return check(lib.sm_array_len(self._fd))

    def __getitem__(self, i):
        if isinstance(i, slice):
            import array
            tc = self.typecode
            s, n = _slice(i, len(self))
            if n == 0:
                return array.array(tc)
            out = (SmValue * n)()
            got = lib.sm_array_get_slice(self._fd, ctypes.byref(s), out, n)
            if got == _EMSGSIZE or 0 <= got < n:
                # 'u', or 'Q' from 2**63: payloads, which libsync's own
                # buffer holds only some of
                vals = _snap.array_load(self._fd, s.start, s.stop, s.step,
                                        s.flags, n)
                if isinstance(vals, int):
                    _array_err(vals, 'get')
                return array.array(tc, vals)
            _array_err(got, 'get')
            return array.array(tc, decode_all(out, got))
        if type(i) is not int or not -_I64_MAX <= i <= _I64_MAX:
            i = _index(i)
        s = take()
        try:
            s.i64.value = i
            ret = _a_get(self._fd, s.i64, s.po)
            if ret < 0:
                if ret == _EMSGSIZE:    # a payload: 'u', a BIGINT 'Q'
                    ret = _snap.array_load(self._fd, i)
                    if not isinstance(ret, int):
                        return ret[0]
                _array_err(ret, 'get')
            return s.get(OUT0)
        finally:
            give(s)

    def __setitem__(self, i, v):
        tv = type(v)
        if (tv is not int and tv is not float and tv is not str and
                not isinstance(i, slice)):
            v = _num(v)
        elif tv is int and not _lib._INT64_MIN <= v <= _lib._INT64_MAX:
            _numbers([v], self.typecode)
        if type(i) is int and -_I64_MAX <= i <= _I64_MAX:
            s = take()
            try:
                s.put(v, IN0)
                s.i64.value = i
                ret = _a_set(self._fd, s.i64, s.p0)
            finally:
                give(s)
            if ret < 0:
                _array_err(ret, 'set')
            return
        keep = []
        if isinstance(i, slice):
            seq = _numbers(list(v), self.typecode)
            s, n = _slice(i, len(self))
            if len(seq) != n:
                raise ValueError('a syncmgr Array has a fixed length: the '
                                 'slice has %d elements, not %d' % (n, len(seq)))
            _array_err(lib.sm_array_set_slice(self._fd, ctypes.byref(s),
                                              values(seq, keep), n), 'set')
            return
        _array_err(lib.sm_array_set(self._fd, _index(i),
                                    ctypes.byref(value(v, keep))), 'set')

    def __iter__(self):
        return iter(self[:])

    def tolist(self):
        return self[:].tolist()

    def add(self, i, delta):
        """Atomically self[i] += delta (integer typecodes); the old value."""
        old = ctypes.c_int64()
        _array_err(lib.sm_array_add(self._fd, _index(i),
                                    _lib.i64(_num(delta)),
                                    ctypes.byref(old)), 'add')
        return old.value

    def compare_and_swap(self, i, expected, new):
        ret = lib.sm_array_cas(self._fd, _index(i), _lib.i64(_num(expected)),
                               _lib.i64(_num(new)), None)
        return bool(_array_err(ret, 'compare_and_swap'))

    def __repr__(self):
        return 'Array(%r, %r)' % (self.typecode, self[:].tolist())

    def _getvalue(self):
        """A local copy: an array.array, as the manager's Array proxy's
        _getvalue() and copy.deepcopy() return."""
        return self[:]

    def __deepcopy__(self, memo):
        return self._getvalue()


def _num(x):
    """An Array element as array.array takes it: Python's numbers and str
    as they are, others through __index__, else __float__ (numpy scalars,
    Decimal); anything else as it is (the kernel's TypeError)."""
    t = type(x)
    if t is int or t is float or t is bool or t is str:
        return x
    if hasattr(t, '__index__'):
        return _operator.index(x)
    if isinstance(x, str):
        return str.__str__(x)
    if hasattr(t, '__float__'):
        return float(x)
    return x


def _numbers(seq, tc):
    """seq's elements through _num, after checking that no int in it is
    beyond what the typecode tc takes as a BIGINT: 'Q' and 'L' take 2**63
    .. 2**64 - 1 as one (with the module's composite values), no other
    typecode any; beyond, OverflowError as array.array's (a pickled big int
    would be the kernel's TypeError)."""
    seq = [_num(x) for x in seq]
    wide = tc in 'QL' and _lib.has(_lib.FEAT_COMPOSITE)
    for x in seq:
        if type(x) is int and not _lib._INT64_MIN <= x <= _lib._INT64_MAX:
            if not (wide and 0 <= x <= _U64_MAX):
                raise OverflowError('int %d does not fit an Array element '
                                    'of typecode %r' % (x, tc))
    return seq


def _index(i):
    i = i.__index__()
    if not -(1 << 63) <= i < (1 << 63):
        raise IndexError('index out of range')
    return i


def _array_err(ret, what):
    if ret == -errno.ERANGE:
        raise IndexError('array index out of range')
    if ret == -errno.EOVERFLOW:
        raise OverflowError('value out of range for the array typecode')
    if ret == -errno.EINVAL:
        raise TypeError('wrong kind of value for the array typecode')
    return check(ret, what)


def _slice(sl, length):
    """An SmSlice for a Python slice, and how many elements it selects."""
    s = SmSlice()
    step = 1 if sl.step is None else sl.step.__index__()
    if step == 0:
        raise ValueError('slice step cannot be zero')
    s.step = _clamp(step)   # as Python's slices: no step goes past the ends
    if sl.start is None:
        s.flags |= _lib.DATA_NO_START
    else:
        s.start = max(-_I64_MAX, min(_I64_MAX, sl.start.__index__()))
    if sl.stop is None:
        s.flags |= _lib.DATA_NO_STOP
    else:
        s.stop = max(-_I64_MAX, min(_I64_MAX, sl.stop.__index__()))
    return s, len(range(*sl.indices(length))) if length is not None else 0


@register(_lib.TYPE_DICT)
class Dict(SyncObject):
    """Python's dict (the manager's dict()) across processes."""
    __slots__ = ()
    _missing = KeyError

    def __init__(self, *args, **kw):
        self._init_fd(self._create())
        if args or kw:
            self.update(*args, **kw)

    @staticmethod
    def _create():
        return lib.sm_dict_create(0)

    def _key_error(self, key):
        return KeyError(key)

    def __getitem__(self, key):
        if type(key) not in _SCALARS:
            hash(key)
        fd = self._fd
        s = take()
        try:
            s.put(key, IN0)
            ret = _d_get(fd, s.p0, s.po, s.pbuf)
            if ret < 0 and _dict_get_failed(s, ret, fd):
                raise self._key_error(key)
            return s.get(OUT0)
        finally:
            give(s)

    def get(self, key, default=None):
        if type(key) not in _SCALARS:
            hash(key)
        obj = _dict_lookup(self._fd, key)
        return default if obj is _MISSING else obj

    def __setitem__(self, key, val):
        if type(key) not in _SCALARS:
            hash(key)
        s = take()
        try:
            s.put(val, IN1, s.put(key, IN0))
            ret = _d_set(self._fd, s.p0, s.p1)
        finally:
            give(s)
        if ret < 0:
            _data_err(ret, 'setitem')

    def __delitem__(self, key):
        if type(key) not in _SCALARS:
            hash(key)
        s = take()
        try:
            s.put(key, IN0)
            ret = _d_del(self._fd, s.p0)
        finally:
            give(s)
        if ret == _ENOENT:
            raise self._key_error(key)
        check(ret, 'delitem')

    def __contains__(self, key):
        if type(key) not in _SCALARS:
            hash(key)
        s = take()
        try:
            s.put(key, IN0)
            ret = _d_contains(self._fd, s.p0)
        finally:
            give(s)
        return bool(check(ret))

    def __len__(self):
        return check(lib.sm_dict_len(self._fd))

    _NODEFAULT = object()

    def pop(self, key, default=_NODEFAULT):
        hash(key)
        keep = []
        obj, ret = _get1(lib.sm_dict_pop, self._fd,
                         ctypes.byref(value(key, keep)))
        if ret == -errno.ENOENT:
            if default is not Dict._NODEFAULT:
                return default
            raise self._key_error(key)
        check(ret, 'pop')
        return obj

    def popitem(self):
        kv = (SmValue * 2)()
        ret = call_out(lib.sm_dict_popitem, self._fd, ctypes.byref(kv[0]),
                       ctypes.byref(kv[1]))
        if ret == -errno.ENOENT:
            raise KeyError('popitem(): dictionary is empty')
        check(ret, 'popitem')
        return tuple(decode_all(kv, 2))

    def setdefault(self, key, default=None):
        hash(key)
        keep = []
        obj, ret = _get1(lib.sm_dict_setdefault, self._fd,
                         ctypes.byref(value(key, keep)),
                         ctypes.byref(value(default, keep)))
        _data_err(ret, 'setdefault')
        return obj

    def update(self, other=(), **kw):
        if hasattr(other, 'keys'):
            pairs = [(k, other[k]) for k in other.keys()]
        else:
            pairs = [tuple(p) for p in other]
            for p in pairs:
                if len(p) != 2:
                    raise ValueError('dictionary update sequence element has '
                                     'length %d; 2 is required' % len(p))
        pairs += list(kw.items())
        if not pairs:
            return
        for k, _ in pairs:      # every key before anything is stored
            if type(k) not in _SCALARS:
                hash(k)
        flat = [x for p in pairs for x in p]
        keep = []
        _data_err(lib.sm_dict_update(self._fd, values(flat, keep), len(pairs)),
                  'update')

    def clear(self):
        check(lib.sm_dict_clear(self._fd))

    def copy(self):
        """A plain dict, as the manager's dict proxy's copy() returns."""
        return dict(self.items())

    def _getvalue(self):
        """A local copy (a dict), as the manager's proxy's _getvalue() and
        copy.deepcopy() return; copy.copy() gives another handle of the
        same dict, as it gives another proxy of the same referent."""
        return dict(self.items())

    def __deepcopy__(self, memo):
        return self._getvalue()

    def _iter(self, what):
        """keys, values or items: one consistent snapshot (_snap)."""
        return _snap.dict_items(self._fd, what)

    def keys(self):
        return self._iter(_lib.DICT_KEYS)

    def values(self):
        return self._iter(_lib.DICT_VALUES)

    def items(self):
        return self._iter(_lib.DICT_KEYS | _lib.DICT_VALUES)

    def __iter__(self):
        return _DictIterator(self)

    def __eq__(self, other):
        if isinstance(other, SyncObject):
            return SyncObject.__eq__(self, other)
        if isinstance(other, dict):
            return dict(self.items()) == other
        return NotImplemented

    __hash__ = SyncObject.__hash__

    def __repr__(self):
        return repr(dict(self.items()))


class _DictIterator:
    """iter(d), as CPython's dict iterator (which the manager's proxy
    runs in its server): keys in insertion order, read a page at a time;
    RuntimeError at the first step after the dict changed size, and at
    every step from then on.  Each step asks the size and the version in
    one call: when the dict changed since the page was read, the rest of
    the page is read again (from the page's start, without the keys
    already returned), so a key deleted meanwhile is not returned."""
    __slots__ = ('d', 'fd', 'size', 'start', 'cursor', 'page', 'pos',
                 'version', 'arg', 'out', 'seen')
    PAGE = 32

    def __init__(self, d):
        self.d, self.fd = d, d._fd    # the iterator keeps the dict alive
        self.arg = _lib.SmData()
        self.size, self.version = _snap.len_version(self.fd, self.arg)
        check(self.size, 'iter')
        self.start = self.cursor = 0    # the page's cursor, the next one's
        self.page, self.pos, self.out = None, 0, None
        self.seen = []      # the keys returned since the page's start

    def __iter__(self):
        return self

    def __next__(self):
        fd = self.fd
        if fd < 0:
            raise StopIteration
        n, version = _snap.len_version(fd, self.arg)
        if n != self.size:
            self.size = -1      # sticky, as CPython's
            raise RuntimeError('dictionary changed size during iteration')
        if self.page is not None and version != self.version:
            self._read(self.start)          # changed: read this page again
            seen = self.seen
            self.page = [k for k in self.page if k not in seen]
        if self.page is None or self.pos >= len(self.page):
            if self.page is not None:
                if not self.cursor:
                    self._end()
                self.start = self.cursor
                self.seen = []
            self._read(self.start)
            if not self.page:
                self._end()
        self.pos += 1
        k = self.page[self.pos - 1]
        self.seen.append(k)
        return k

    def _read(self, cursor):
        if self.out is None:
            self.out = _snap._Out(4096)
        self.page, self.cursor, self.version = _snap.dict_page(
            self.fd, cursor, self.PAGE, self.out)
        self.pos = 0

    def _end(self):
        self.d, self.fd, self.page = None, -1, None
        raise StopIteration

    def __length_hint__(self):
        return max(0, self.size) if self.fd >= 0 else 0


def _data_err(ret, what):
    if ret == -errno.ELOOP:
        raise ValueError('a shared container cannot contain itself')
    return check(ret, what)


@register(_lib.TYPE_NAMESPACE)
class Namespace(SyncObject):
    """The manager's Namespace: attributes shared between processes; names
    starting with '_' stay local to this handle, as the proxy's do.  Every
    other name is data, also those of SyncObject's methods (the manager's
    proxy has no public attribute of its own): ns.close = 1 stores 1, and
    this handle's own calls are reached through the class:
    SyncObject.close(ns), SyncObject.fileno(ns), SyncObject.sm_id.fget(ns)."""
    __slots__ = ('__dict__',)

    def __init__(self, **kw):
        self._init_fd(lib.sm_ns_create(0))
        for k, v in kw.items():
            setattr(self, k, v)

    def __getattribute__(self, name):
        # A shared attribute goes straight to the kernel (_dict_lookup's
        # body, inlined).  Not __getattr__: python 3.11's failed normal
        # lookup raises and clears an AttributeError before calling it (ns.x
        # 1270 vs 956 ns on the host, libsync stubbed).  No __getattr__
        # beside this either: with both, CPython calls this through a new
        # bound method each time.
        if name[:1] != '_':
            fd = _fd_of(self)
            s = take()
            try:
                s.put(name, IN0)
                ret = _d_get(fd, s.p0, s.po, s.pbuf)
                if ret < 0 and _dict_get_failed(s, ret, fd):
                    raise AttributeError(name)
                return s.get(OUT0)
            finally:
                give(s)
        return object.__getattribute__(self, name)

    def __setattr__(self, name, val):
        if name[:1] == '_':
            return object.__setattr__(self, name, val)
        _dict_store(_fd_of(self), name, val)   # self._fd: __getattribute__

    def __delattr__(self, name):
        if name.startswith('_'):
            return object.__delattr__(self, name)
        try:
            Dict.__delitem__(self, name)
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return Dict.keys(self)

    def __repr__(self):     # as the manager's Namespace: sorted
        items = sorted('%s=%r' % kv for kv in Dict.items(self)
                       if not str(kv[0]).startswith('_'))
        return 'Namespace(%s)' % ', '.join(items)

    def _getvalue(self):
        """A local copy: the manager's own Namespace (a SimpleNamespace-like
        object with the same sorted repr), as its proxy's _getvalue() and
        copy.deepcopy() return."""
        from multiprocessing.managers import Namespace as LocalNamespace
        return LocalNamespace(**dict(Dict.items(self)))

    def __deepcopy__(self, memo):
        return self._getvalue()

    _key_error = Dict._key_error
    _iter = Dict._iter


_fd_of = SyncObject._fd.__get__


@register(_lib.TYPE_LIST)
class List(SyncObject):
    """Python's list (the manager's list()) across processes; slices and
    + / * give plain lists, as the manager's proxy does."""
    __slots__ = ()

    def __init__(self, sequence=()):
        self._init_fd(lib.sm_list_create(0))
        self.extend(sequence)       # any iterable (a numpy array too)

    def __len__(self):
        ret = _l_len(self._fd)
        return ret if ret >= 0 else check(ret)

    def append(self, v):
        s = take()
        try:
            s.put(v, IN0)
            ret = _l_append(self._fd, s.p0)
        finally:
            give(s)
        if ret < 0:
            _list_err(ret)

    def extend(self, seq):
        seq = list(seq)
        if not seq:
            return
        keep = []
        _list_err(lib.sm_list_extend(self._fd, values(seq, keep), len(seq)))

    def __iadd__(self, seq):
        self.extend(seq)
        return self

    def __imul__(self, n):
        n = n.__index__()
        if not -_I64_MAX <= n <= _I64_MAX:
            raise OverflowError("cannot fit 'int' into an index-sized integer")
        check(lib.sm_list_repeat(self._fd, n))
        return self

    def __add__(self, other):
        return self[:] + list(other)

    def __radd__(self, other):
        return list(other) + self[:]

    def __mul__(self, n):
        return self[:] * n

    __rmul__ = __mul__

    def insert(self, i, v):
        keep = []
        _list_err(lib.sm_list_insert(self._fd, _clamp(i),
                                     ctypes.byref(value(v, keep))))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._get_slice(i)
        return self._out(_l_get, i, 'list index out of range')

    def _out(self, fn, i, msg):
        """fn(fd, i, &out, &buf) (get, pop): the value; a negative errno
        raises as _list_err would, -ERANGE an IndexError(msg)."""
        if type(i) is not int or not -_I64_MAX <= i <= _I64_MAX:
            i = _index(i)
        fd = self._fd
        s = take()
        try:
            s.i64.value = i
            ret = fn(fd, s.i64, s.po, s.pbuf)
            if ret == _EMSGSIZE:
                ret = s.again(ret, fn, fd, s.i64, s.po)
            if ret < 0:
                if ret == _ERANGE and msg is None:
                    raise IndexError('pop from empty list' if len(self) == 0
                                     else 'pop index out of range')
                _list_err(ret, msg or 'list index out of range')
            return s.get(OUT0)
        finally:
            give(s)

    def _get_slice(self, sl, raw=False, version=False):
        """lst[sl]: one consistent snapshot (_snap.list_slice)."""
        start, stop, step = sl.indices(len(self))
        n = len(range(start, stop, step))
        if n == 0:
            return ([], None) if version else []
        step = _clamp(step)     # n > 0: only the first element is past it
        flags = 0
        if step < 0 and stop == -1:
            stop, flags = 0, _lib.DATA_NO_STOP
        return _snap.list_slice(self._fd, start, stop, step, flags, n,
                                raw, version)

    def __setitem__(self, i, v):
        keep = []
        if isinstance(i, slice):
            seq = list(v)
            s, _ = _slice(i, None)
            ret = lib.sm_list_set_slice(self._fd, ctypes.byref(s),
                                        values(seq, keep), len(seq))
            if ret == -errno.EINVAL:
                n = len(range(*i.indices(len(self))))
                raise ValueError('attempt to assign sequence of size %d to '
                                 'extended slice of size %d' % (len(seq), n))
            _list_err(ret)
            return
        if type(i) is not int or not -_I64_MAX <= i <= _I64_MAX:
            i = _index(i)
        s = take()
        try:
            s.put(v, IN0)
            s.i64.value = i
            ret = _l_set(self._fd, s.i64, s.p0)
        finally:
            give(s)
        if ret < 0:
            _list_err(ret, 'list assignment index out of range')

    def __delitem__(self, i):
        if isinstance(i, slice):
            s, _ = _slice(i, None)
            _list_err(lib.sm_list_del_slice(self._fd, ctypes.byref(s)))
            return
        _list_err(lib.sm_list_del(self._fd, _index(i)),
                  'list assignment index out of range')

    def pop(self, i=-1):
        return self._out(_l_pop, i, None)

    def remove(self, v):
        keep = []
        ret = lib.sm_list_remove(self._fd, ctypes.byref(value(v, keep)))
        if ret == -errno.ENOENT:
            raise ValueError('list.remove(x): x not in list')
        _list_err(ret)

    def index(self, v, start=0, stop=_I64_MAX):
        keep = []
        ret = lib.sm_list_index(self._fd, ctypes.byref(value(v, keep)),
                                _clamp(start), _clamp(stop))
        if ret == -errno.ENOENT:
            raise ValueError('%r is not in list' % (v,))
        return _list_err(ret)

    def count(self, v):
        keep = []
        return _list_err(lib.sm_list_count(self._fd,
                                           ctypes.byref(value(v, keep))))

    def __contains__(self, v):
        keep = []
        return bool(_list_err(lib.sm_list_contains(
            self._fd, ctypes.byref(value(v, keep)))))

    def reverse(self):
        check(lib.sm_list_reverse(self._fd))

    def sort(self, *, key=None, reverse=False):
        """As list.sort (stable).  Without key the kernel sorts typed values
        (tuples element-wise) in place.  With a key, or values the kernel
        cannot order, the values are read with the list's version, sorted
        here as list.sort sorts them (its TypeError for what Python cannot
        order), and written back only if the version is unchanged; else
        read and sorted again, so concurrent changes are never lost."""
        if key is None:
            ret = lib.sm_list_sort(self._fd, 1 if reverse else 0)
            if ret != -errno.EINVAL:
                check(ret, 'sort')
                return
        if key is not None and not callable(key):
            raise TypeError("'%s' object is not callable"
                            % type(key).__name__)
        reverse = bool(reverse.__index__() if not isinstance(reverse, bool)
                       else reverse)
        versions = _lib.has(_lib.FEAT_VERSION)
        while True:
            got, ver = self._get_slice(slice(None), raw=True, version=True)
            if got is None:
                continue        # churn while reading: read again
            if not got:
                return
            k = ((lambda p: key(p[0])) if key is not None else
                 (lambda p: p[0]))
            got.sort(key=k, reverse=reverse)
            if not versions:    # a module without versions: not atomic
                self[:] = [p[0] for p in got]
                return
            ret = _snap.list_replace_if(self._fd, [p[1] for p in got],
                                        ver if ver is not None else 0)
            if ret != -errno.ESTALE:
                _list_err(ret)
                return

    def clear(self):
        check(lib.sm_list_clear(self._fd))

    def copy(self):
        return self[:]

    def _getvalue(self):
        """A local copy (a list), as the manager's proxy's _getvalue() and
        copy.deepcopy() return; copy.copy() gives another handle."""
        return self[:]

    def __deepcopy__(self, memo):
        return self._getvalue()

    def __iter__(self):
        """Live by index, as the manager's proxy iterates (through
        __getitem__): each step reads lst[i] as it is then; the end is
        the first index past the end."""
        i = 0
        get = self._out
        while True:
            try:
                v = get(_l_get, i, 'list index out of range')
            except IndexError:
                return
            yield v
            i += 1

    def __reversed__(self):
        return reversed(self[:])

    def __eq__(self, other):
        if isinstance(other, SyncObject):
            return SyncObject.__eq__(self, other)
        if isinstance(other, list):
            return self[:] == other
        return NotImplemented

    __hash__ = SyncObject.__hash__

    def __repr__(self):
        return repr(self[:])


def _clamp(i):
    i = i.__index__()
    return max(-_I64_MAX, min(_I64_MAX, i))


def _list_err(ret, msg='list index out of range'):
    if ret == -errno.ERANGE:
        raise IndexError(msg)
    if ret == -errno.E2BIG:
        raise MemoryError('the list would pass max_list_len')
    if ret == -errno.EINVAL:
        raise TypeError('invalid list operation')
    return _data_err(ret, 'list')
