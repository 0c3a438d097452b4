"""ctypes bindings of libsync (libsync.so.1), the C library of syncmgr.

Which libsync is loaded: $SYNCMGR_LIBSYNC if set (a path), else the build
directory's libsync/libsync.so.1 when this package runs from the syncmgr
source tree, else the system's (ctypes.util.find_library / libsync.so.1).
"""
import ctypes
import ctypes.util
import errno
import os
import pickle
import resource
import threading

from . import _tree

__all__ = ['lib', 'check', 'SM_FOREVER', 'SmValue', 'SmBuf']


def _find():
    env = os.environ.get('SYNCMGR_LIBSYNC')
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.join(here, os.pardir, os.pardir, 'libsync', 'libsync.so.1')
    if os.path.exists(tree):
        return os.path.normpath(tree)
    return ctypes.util.find_library('sync') and 'libsync.so.1' or 'libsync.so.1'


try:
    lib = ctypes.CDLL(_find(), use_errno=False)
except OSError as e:
    raise ImportError(
        'syncmgr needs libsync.so.1, the C library of syncmgr (%s): install '
        'it with `make install` from the syncmgr source tree (or the '
        'distribution package), or point SYNCMGR_LIBSYNC at it' % e) from e

# --- the C ABI ------------------------------------------------------------------
# Constants of libsync's <syncmgr.h> keep their names (SM_*); those of the
# kernel's uapi header <linux/syncmgr.h> drop the SYNCMGR_ prefix (TYPE_LOCK
# is SYNCMGR_TYPE_LOCK), except DICT_KEYS and DICT_VALUES: libsync's
# SM_DICT_KEYS and SM_DICT_VALUES.  python/tests/test_abi.py compares every
# one, and the layout of every structure below, with what the C compiler
# makes of those headers (make check runs it).
SM_FOREVER = -1                         # a relative timeout: no limit
SM_DEADLINE_FOREVER = (1 << 64) - 1     # SYNCMGR_DEADLINE_FOREVER
SM_BARRIER_DEFAULT = -2                 # sm_barrier_wait: the default timeout
SM_NO_CLOEXEC = 1                       # creation flags: SYNCMGR_CREATE_*
SM_UNTRACKED = 2
SM_BARRIER_ACTION = 4

# enum syncmgr_type: what sm_type() returns
TYPE_LOCK = 1
TYPE_RLOCK = 2
TYPE_SEMAPHORE = 3
TYPE_BOUNDED_SEMAPHORE = 4
TYPE_EVENT = 5
TYPE_CONDITION = 6
TYPE_BARRIER = 7
TYPE_QUEUE = 8
TYPE_VALUE = 9
TYPE_ARRAY = 10
TYPE_DICT = 11
TYPE_LIST = 12
TYPE_NAMESPACE = 13

# enum syncmgr_value_type: struct sm_value's type
VAL_NONE = 0
VAL_BOOL = 1
VAL_INT = 2
VAL_DOUBLE = 3
VAL_BYTES = 4
VAL_STR = 5
VAL_BLOB = 6
VAL_HANDLE = 7
VAL_TUPLE = 8                           # composite values (FEAT_COMPOSITE)
VAL_LIST = 9
VAL_DICT = 10
VAL_FROZENSET = 11
VAL_BIGINT = 12
VAL_TAGGED = 13

STATE_OWNER_DIED = 1                    # struct syncmgr_state's status bits
STATE_BROKEN = 2
DATA_NO_START = 4                       # struct sm_slice's flags
DATA_NO_STOP = 8
DATA_REVERSE = 16                       # struct syncmgr_data's flags
DATA_NOWAIT = 32
DATA_VERSION = 64
DATA_IF_VERSION = 128
DICT_KEYS = 1                           # sm_dict_iter: SM_DICT_KEYS
DICT_VALUES = 2                         # SM_DICT_VALUES
TOKEN_SIZE = 16                         # sm_token(): syncmgr_token.token


# struct sm_value and struct sm_buf (libsync), struct sm_slice, struct
# syncmgr_state (uapi): field names as in C.
class _Buf(ctypes.Structure):
    _fields_ = [('ptr', ctypes.c_void_p), ('len', ctypes.c_uint32)]


class _Tree(ctypes.Structure):
    _fields_ = [('ptr', ctypes.c_void_p), ('len', ctypes.c_uint32),
                ('n', ctypes.c_uint32)]


class _U(ctypes.Union):
    _fields_ = [('b', ctypes.c_int), ('i', ctypes.c_int64),
                ('d', ctypes.c_double), ('handle', ctypes.c_int),
                ('buf', _Buf), ('tree', _Tree)]


class SmValue(ctypes.Structure):
    _anonymous_ = ('u',)
    _fields_ = [('type', ctypes.c_int), ('u', _U)]


class SmBuf(ctypes.Structure):
    _fields_ = [('data', ctypes.c_void_p), ('size', ctypes.c_size_t),
                ('needed', ctypes.c_size_t)]


class SmSlice(ctypes.Structure):
    _fields_ = [('start', ctypes.c_int64), ('stop', ctypes.c_int64),
                ('step', ctypes.c_int64), ('flags', ctypes.c_uint)]


class _DeadlineVersion(ctypes.Union):
    _fields_ = [('deadline', ctypes.c_uint64), ('version', ctypes.c_uint64)]


class SmData(ctypes.Structure):
    """struct syncmgr_data (uapi): the raw data ioctl's argument (its
    field `in` is reached with getattr/setattr)."""
    _anonymous_ = ('dv',)
    _fields_ = [('in', ctypes.c_uint64), ('out', ctypes.c_uint64),
                ('in_size', ctypes.c_uint32), ('out_size', ctypes.c_uint32),
                ('count', ctypes.c_uint32), ('flags', ctypes.c_uint32),
                ('start', ctypes.c_int64), ('stop', ctypes.c_int64),
                ('step', ctypes.c_int64), ('dv', _DeadlineVersion),
                ('cursor', ctypes.c_uint64), ('needed', ctypes.c_uint32),
                ('reserved', ctypes.c_uint32)]


class SmVersion(ctypes.Structure):
    _fields_ = [('abi_version', ctypes.c_uint32),
                ('max_types', ctypes.c_uint32),
                ('features', ctypes.c_uint64),
                ('reserved', ctypes.c_uint64 * 2)]


class SmState(ctypes.Structure):
    _fields_ = [('id', ctypes.c_uint64), ('type', ctypes.c_uint32),
                ('flags', ctypes.c_uint32), ('value', ctypes.c_uint32),
                ('max', ctypes.c_uint32), ('waiters', ctypes.c_uint32),
                ('owner', ctypes.c_uint32), ('status', ctypes.c_uint32),
                ('reserved0', ctypes.c_uint32), ('timeout_ns', ctypes.c_uint64),
                ('reserved', ctypes.c_uint64 * 2)]


I, U, I64, U64 = ctypes.c_int, ctypes.c_uint, ctypes.c_int64, ctypes.c_uint64
P = ctypes.c_void_p
VP = ctypes.POINTER(SmValue)
BP = ctypes.POINTER(SmBuf)
SP = ctypes.POINTER(SmSlice)
I64P = ctypes.POINTER(ctypes.c_int64)
ACTION = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)

_PROTOS = {
    'sm_type': (I,), 'sm_state': (I, ctypes.POINTER(SmState)),
    'sm_now': (), 'sm_deadline': (I64,), 'sm_send_handles': (I, P, U),
    'sm_recv_handles': (I, P, U),
    'sm_lock_create': (U,), 'sm_lock_acquire_until': (I, U64),
    'sm_lock_release': (I,), 'sm_lock_locked': (I,),
    'sm_rlock_create': (U,), 'sm_rlock_acquire_until': (I, U64),
    'sm_rlock_release': (I,),
    'sm_sem_create': (U, U), 'sm_bsem_create': (U, U),
    'sm_sem_acquire_until': (I, U64), 'sm_sem_release': (I, U),
    'sm_sem_value': (I,),
    'sm_event_create': (U,), 'sm_event_set': (I,), 'sm_event_clear': (I,),
    'sm_event_is_set': (I,), 'sm_event_wait_until': (I, U64),
    'sm_cond_create': (I, U), 'sm_cond_acquire_until': (I, U64),
    'sm_cond_release': (I,), 'sm_cond_wait_until': (I, U64),
    'sm_cond_notify': (I, U), 'sm_cond_notify_all': (I,),
    'sm_barrier_create': (U, I64, U), 'sm_barrier_set_action': (I, ACTION, P),
    'sm_barrier_wait': (I, I64), 'sm_barrier_wait_until': (I, U64),
    'sm_barrier_abort': (I,), 'sm_barrier_reset': (I,),
    'sm_barrier_parties': (I,), 'sm_barrier_n_waiting': (I,),
    'sm_barrier_broken': (I,),
    'sm_queue_create': (U, U), 'sm_queue_put_until': (I, VP, U64),
    'sm_queue_put_nowait': (I, VP), 'sm_queue_get_until': (I, VP, BP, U64),
    'sm_queue_get_nowait': (I, VP, BP), 'sm_queue_qsize': (I,),
    'sm_queue_maxsize': (I,), 'sm_queue_empty': (I,), 'sm_queue_full': (I,),
    'sm_queue_task_done': (I,), 'sm_queue_join_until': (I, U64),
    'sm_value_create': (I, VP, U), 'sm_value_typecode': (I,),
    'sm_value_get': (I, VP, BP), 'sm_value_set': (I, VP),
    'sm_value_add': (I, I64, I64P),
    'sm_value_add_double': (I, ctypes.c_double, ctypes.POINTER(ctypes.c_double)),
    'sm_value_cas': (I, VP, VP, VP, BP),
    'sm_array_create': (I, VP, U, U), 'sm_array_typecode': (I,),
    'sm_array_len': (I,), 'sm_array_get': (I, I64, VP),
    'sm_array_set': (I, I64, VP), 'sm_array_get_slice': (I, SP, VP, U),
    'sm_array_set_slice': (I, SP, VP, U), 'sm_array_add': (I, I64, I64, I64P),
    'sm_array_cas': (I, I64, I64, I64, I64P),
    'sm_dict_create': (U,), 'sm_dict_get': (I, VP, VP, BP),
    'sm_dict_set': (I, VP, VP), 'sm_dict_del': (I, VP),
    'sm_dict_contains': (I, VP), 'sm_dict_len': (I,),
    'sm_dict_pop': (I, VP, VP, BP), 'sm_dict_popitem': (I, VP, VP, BP),
    'sm_dict_setdefault': (I, VP, VP, VP, BP), 'sm_dict_update': (I, VP, U),
    'sm_dict_clear': (I,), 'sm_dict_copy': (I,),
    'sm_dict_iter': (I, U, ctypes.POINTER(U64), VP, U, BP),
    'sm_ns_create': (U,),
    'sm_list_create': (U,), 'sm_list_len': (I,), 'sm_list_append': (I, VP),
    'sm_list_extend': (I, VP, U), 'sm_list_insert': (I, I64, VP),
    'sm_list_get': (I, I64, VP, BP), 'sm_list_set': (I, I64, VP),
    'sm_list_del': (I, I64), 'sm_list_get_slice': (I, SP, VP, U, BP),
    'sm_list_set_slice': (I, SP, VP, U), 'sm_list_del_slice': (I, SP),
    'sm_list_pop': (I, I64, VP, BP), 'sm_list_remove': (I, VP),
    'sm_list_index': (I, VP, I64, I64), 'sm_list_count': (I, VP),
    'sm_list_contains': (I, VP), 'sm_list_reverse': (I,),
    'sm_list_sort': (I, I), 'sm_list_repeat': (I, I64), 'sm_list_clear': (I,),
    'sm_list_copy': (I,),
    # the token ABI (newer libsync): optional
    'sm_token': (I, P), 'sm_open_token': (P, U),
    'sm_version': (ctypes.POINTER(SmVersion),),
}

for _name, _args in _PROTOS.items():
    _f = getattr(lib, _name, None)
    if _f is None:
        continue
    _f.argtypes = _args
    _f.restype = ctypes.c_int
lib.sm_now.restype = ctypes.c_int64
lib.sm_deadline.restype = ctypes.c_uint64

HAVE_TOKEN = hasattr(lib, 'sm_token') and hasattr(lib, 'sm_open_token')


class _Raw:
    """libsync's functions as bare function pointers, for the hot paths:
    argtypes' from_param conversions cost about as much as the call itself
    (python 3.11, per call: sm_dict_get 891 ns through lib with argtypes,
    360 ns without; sm_event_wait_until 1107 ns / 658 ns).  raw.sm_x is a
    pointer of its own (lib.sm_x keeps its argtypes for everything else),
    returning int.  Without argtypes ctypes passes a Python int as a C int
    and a ctypes instance or byref() as itself, so: fds, flags and small
    counts as ints, pointers as byref()s, and int64/uint64 parameters
    (deadlines, indexes) ONLY as c_int64/c_uint64 objects -- an int there
    would fill 32 bits of the 64."""

    def __getattr__(self, name):
        fn = lib[name]      # a new function pointer, not lib.<name>'s
        fn.restype = ctypes.c_int
        setattr(self, name, fn)
        return fn


raw = _Raw()


# --- errors -------------------------------------------------------------------
def oserror(ret, what=''):
    """The OSError for a negative errno (EMFILE says what to do)."""
    code = -ret
    if code == errno.EMFILE:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        return OSError(code, 'too many open files (every syncmgr object is '
                       'one file descriptor; RLIMIT_NOFILE is %d, hard limit '
                       '%d: raise it with `ulimit -n` or resource.setrlimit)'
                       % (soft, hard))
    if what == 'device' and code in (errno.ENOENT, errno.ENXIO, errno.ENODEV):
        return device_error(code)
    return OSError(code, os.strerror(code) + (' (%s)' % what if what else ''))


DEVICE = '/dev/syncmgr'     # libsync's SM_DEVICE: only for messages


def device_error(code=errno.ENOENT):
    """The error of a first object creation that could not open the device:
    an OSError of that errno (ENOENT: a FileNotFoundError) saying what to
    do, not a bare 'No such file or directory'."""
    if code == errno.ENOENT:
        why = '%s is missing' % DEVICE
    else:
        why = '%s has no driver (%s)' % (DEVICE, os.strerror(code))
    return OSError(code, '%s: load the syncmgr kernel module (modprobe '
                   'syncmgr, or insmod syncmgr.ko from the source tree)' % why)


def check(ret, what=''):
    if ret < 0:
        raise oserror(ret, what)
    return ret


# --- features and the raw data ioctl ----------------------------------------------
FEAT_COMPOSITE = 1 << 12        # SYNCMGR_FEAT_COMPOSITE: TUPLE .. TAGGED
FEAT_VERSION = 1 << 13          # SYNCMGR_FEAT_VERSION: container versions
_features = None


def features():
    """The module's SYNCMGR_FEAT_* bits (0 without a device; asked once)."""
    global _features
    if _features is None:
        v = SmVersion()
        if lib.sm_version(ctypes.byref(v)) < 0:
            return 0
        _features = v.features
    return _features


def has(feat):
    return bool(features() & feat)


def _iowr(nr):      # SYNCMGR_IOC_DATA(nr): _IOWR(0xE5, nr, struct syncmgr_data)
    return (3 << 30) | (ctypes.sizeof(SmData) << 16) | (0xE5 << 8) | nr


IOC_LEN, IOC_LOOKUP, IOC_ASSIGN = _iowr(0x30), _iowr(0x31), _iowr(0x32)
IOC_COPY, IOC_ITER = _iowr(0x3a), _iowr(0x3b)

_sm_data_ioctl = getattr(lib, 'sm_data_ioctl', None)
if _sm_data_ioctl is not None:
    _sm_data_ioctl.argtypes = (I, ctypes.c_ulong, ctypes.POINTER(SmData))
    _sm_data_ioctl.restype = ctypes.c_long
    data_ioctl = _sm_data_ioctl
else:       # an older libsync: the same ioctl through libc
    _libc = ctypes.CDLL(None, use_errno=True)
    _ioctl = _libc.ioctl
    _ioctl.argtypes = (I, ctypes.c_ulong, ctypes.POINTER(SmData))
    _ioctl.restype = I

    def data_ioctl(fd, cmd, d):
        """ioctl(fd, cmd, d): its value, or a negative errno."""
        ret = _ioctl(fd, cmd, d)
        return -ctypes.get_errno() if ret < 0 else ret


def raise_nofile_limit():
    """Raise the soft RLIMIT_NOFILE to the hard limit (done on import):
    every syncmgr object is one fd, and the usual soft limit is 1024."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY:
            hard = max(soft, 1 << 20)
        if soft != resource.RLIM_INFINITY and soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError):
        pass


# --- timeouts -------------------------------------------------------------------
# A deadline is a c_uint64 object: raw calls need one (see _Raw) and the
# functions with argtypes take it as it is.  Never changed once made.
FOREVER = ctypes.c_uint64(SM_DEADLINE_FOREVER)
_NOW = ctypes.c_uint64(0)


# Beyond threading.TIMEOUT_MAX (seconds) threading raises OverflowError, and
# then the nanoseconds would no longer fit libsync's int64: never wrapped.
TIMEOUT_MAX = threading.TIMEOUT_MAX
# The deadline of such a timeout: it is already past (0, as _NOW), so the
# call is a try that does not block.  A wait that would have blocked then
# raises too_long() instead of timing out (the caller compares with `is`),
# so that, as in threading, a too long timeout is an error only for a call
# that would wait: Event.wait(1e10) on a set Event returns True.
TOO_LONG = ctypes.c_uint64(0)


def too_long():
    return OverflowError('timeout value is too large')


def deadline(timeout):
    """An absolute CLOCK_MONOTONIC deadline (a c_uint64) for a timeout in
    seconds (None: forever; <= 0: now; beyond TIMEOUT_MAX: TOO_LONG; NaN:
    ValueError, as threading)."""
    if timeout is None:
        return FOREVER
    if timeout <= 0:
        return _NOW
    if timeout > TIMEOUT_MAX:
        return TOO_LONG
    if timeout != timeout:
        raise ValueError('Invalid value NaN (not a number)')
    return ctypes.c_uint64(lib.sm_deadline(int(timeout * 1e9)))


def timeout_ns(timeout):
    """A relative timeout in seconds as the int64 nanoseconds libsync
    stores (a Barrier's default timeout): at least 1; OverflowError beyond
    TIMEOUT_MAX, ValueError for NaN."""
    if timeout != timeout:
        raise ValueError('Invalid value NaN (not a number)')
    if timeout > TIMEOUT_MAX:
        raise too_long()
    return max(1, int(timeout * 1e9))


def call_until(fn, *args):
    """Call a libsync *_until function (deadline last in args) again after
    EINTR: the interpreter runs signal handlers at the loop's back edge (an
    exception they raise, KeyboardInterrupt, propagates), and the wait
    resumes with the same deadline."""
    while True:
        ret = fn(*args)
        if ret != -errno.EINTR:
            return ret


def waited(ret, fn, fd, d, what):
    """The end of a wait fn(fd, d) whose first call returned ret != 0:
    after EINTR (a handler runs on entry here) it goes on with the same
    deadline.  True once it succeeded, False on timeout; else OSError."""
    if ret == -errno.EINTR:
        ret = call_until(fn, fd, d)
    if ret == -errno.ETIMEDOUT:
        if d is TOO_LONG:
            raise too_long()
        return False
    check(ret, what)
    return True


# --- narrowing ---------------------------------------------------------------------
# ctypes converts a Python int to a C integer by truncating it, silently:
# every int that goes to libsync as a C integer goes through one of these.
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
U32_MAX = (1 << 32) - 1
INT_MIN, INT_MAX = -(1 << 31), (1 << 31) - 1


def u32(n, what):
    """n (an index) as a C unsigned int, else OverflowError."""
    n = n.__index__()
    if not 0 <= n <= U32_MAX:
        raise OverflowError('%s must be between 0 and 2**32 - 1, not %d'
                            % (what, n))
    return n


def i64(n, what='value'):
    """n (an index) as a C int64, else OverflowError."""
    n = n.__index__()
    if not _INT64_MIN <= n <= _INT64_MAX:
        raise OverflowError('%s does not fit in 64 bits: %d' % (what, n))
    return n


# --- typed values -----------------------------------------------------------------


_SyncObject = None
_c_char_p, _c_void_p, _cast = ctypes.c_char_p, ctypes.c_void_p, ctypes.cast


def encode(obj, v, keep):
    """Fill the SmValue v from a Python object; keep holds payloads alive."""
    global _SyncObject
    if _SyncObject is None:
        from ._base import SyncObject as _SyncObject
    SyncObject = _SyncObject
    t = type(obj)
    if obj is None:
        v.type = VAL_NONE
    elif t is bool:
        v.type = VAL_BOOL
        v.b = obj
    elif t is int and _INT64_MIN <= obj <= _INT64_MAX:
        v.type = VAL_INT
        v.i = obj
    elif t is float:
        v.type = VAL_DOUBLE
        v.d = obj
    elif t is str or t is bytes:
        if t is str:
            try:
                data = obj.encode('utf-8')
            except UnicodeEncodeError:
                return _blob(obj, v, keep)
            v.type = VAL_STR
        else:
            data = obj
            v.type = VAL_BYTES
        if len(data) > U32_MAX:
            raise _too_big(data)
        keep.append(data)
        v.buf.ptr = _cast(data, _c_void_p)
        v.buf.len = len(data)
    elif isinstance(obj, SyncObject):
        v.type = VAL_HANDLE
        v.handle = obj._fd
        keep.append(obj)
    else:
        return _composite(obj, v, keep)
    return v


def _composite(obj, v, keep):
    """obj as a composite, BIGINT or TAGGED value (_tree.pack) when the
    module has them, else pickled."""
    if not features() & FEAT_COMPOSITE:
        return _blob(obj, v, keep, pickle.dumps)
    try:
        vt, data, n = _tree.pack(obj, keep)
    except _tree.NotTyped:
        return _blob(obj, v, keep)
    if len(data) > U32_MAX:
        raise _too_big(data)
    keep.append(data)
    v.type = vt
    v.tree.ptr = _cast(data, _c_void_p) if data else None
    v.tree.len = len(data)
    v.tree.n = n
    return v


def _blob(obj, v, keep, dumps=None):
    # with composite values, a handle has a typed place: none in a pickle
    data = (dumps(obj, pickle.HIGHEST_PROTOCOL) if dumps else
            _tree.blob(obj))
    if len(data) > U32_MAX:
        raise _too_big(data)
    keep.append(data)
    v.type = VAL_BLOB
    v.buf.ptr = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p)
    v.buf.len = len(data)
    return v


def _too_big(data):
    # struct sm_value's length is 32-bit: never a truncated payload
    return OverflowError('a syncmgr value holds at most 2**32 - 1 bytes, '
                         'not %d' % len(data))


def value(obj, keep):
    return encode(obj, SmValue(), keep)


def values(objs, keep):
    arr = (SmValue * max(len(objs), 1))()
    for i, o in enumerate(objs):
        encode(o, arr[i], keep)
    return arr


def decode(v):
    """The Python object of an SmValue that came out of libsync (a handle
    becomes the syncmgr object, owning the new fd)."""
    t = v.type
    if t == VAL_NONE:
        return None
    if t == VAL_BOOL:
        return bool(v.b)
    if t == VAL_INT:
        return v.i
    if t == VAL_DOUBLE:
        return v.d
    if t == VAL_HANDLE:
        from ._base import from_fd
        return from_fd(v.handle)
    data = ctypes.string_at(v.buf.ptr, v.buf.len) if v.buf.len else b''
    if t == VAL_STR:
        return data.decode('utf-8')
    if t == VAL_BYTES:
        return data
    if t == VAL_BLOB:
        return pickle.loads(data)
    if t == VAL_BIGINT:
        return int.from_bytes(data, 'little', signed=True)
    if t in _tree.TREE_TYPES:
        return _tree.unpack_tree(t, data, v.tree.n)
    raise ValueError('unknown syncmgr value type %d' % t)


def decode_all(vals, n):
    """The Python objects of vals[0:n] (a page of values out of libsync).
    Each handle value is a new fd of this process: when one value fails to
    decode (a blob that does not unpickle), the handles after it are closed
    before the exception propagates (those before it are owned by their
    objects already, the failing one by from_fd)."""
    res = []
    k = 0
    try:
        for k in range(n):
            res.append(decode(vals[k]))
    except BaseException:
        close_handles(vals, k + 1, n)
        raise
    return res


def close_handles(vals, start, stop):
    """Close the fds of the handle values in vals[start:stop]."""
    for k in range(start, stop):
        v = vals[k]
        if v.type == VAL_HANDLE and v.handle >= 0:
            fds = [v.handle]
        elif v.type in _tree.TREE_TYPES and v.tree.len:
            fds = _tree.tree_fds(ctypes.string_at(v.tree.ptr, v.tree.len),
                                 v.tree.n)
        else:
            continue
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        v.type = VAL_NONE


_tls = threading.local()


def outbuf(need=0):
    """A per-thread SmBuf (grown to at least need bytes)."""
    b = getattr(_tls, 'buf', None)
    if b is None or b.size < need:
        size = max(need, 4096 if b is None else b.size * 2)
        space = ctypes.create_string_buffer(size)
        b = SmBuf(ctypes.cast(space, ctypes.c_void_p), size, 0)
        b._space = space
        _tls.buf = b
    return b


def call_out(fn, *args, deadline_arg=False):
    """Call fn(*args, buf[, deadline]) with the per-thread buffer, growing
    it on -EMSGSIZE; args are everything before the buf argument.  With
    deadline_arg, args' last element is a deadline that goes after buf."""
    need = 0
    while True:
        buf = outbuf(need)
        if deadline_arg:
            ret = fn(*args[:-1], ctypes.byref(buf), args[-1])
        else:
            ret = fn(*args, ctypes.byref(buf))
        if ret == -errno.EMSGSIZE and buf.needed > buf.size:
            need = buf.needed
            continue
        if ret == -errno.EINTR and deadline_arg:
            continue
        return ret


# --- the fast path: per-call scratch from a pool -----------------------------------
# A data call takes a _Scratch (two values in, two out, an inline area for the
# payloads going in, the out buffer), fills it with struct.pack_into on a
# memoryview of the same memory, passes pre-built byref()s and decodes the
# values out of it with unpack_from: no ctypes objects are made per call.  The
# GIL is released during a foreign call, so a scratch is never shared: each
# call pops one from _pool (list.pop/append are atomic) and gives it back.
import struct as _struct  # noqa: E402

_VSIZE = ctypes.sizeof(SmValue)
_FAST = (_VSIZE == 24 and SmValue.u.offset == 8 and _U.buf.offset == 0 and
         ctypes.sizeof(ctypes.c_void_p) == 8)
_PK_T = _struct.Struct('@i').pack_into            # type only (None)
_PK_I = _struct.Struct('@i4xq').pack_into         # INT
_PK_D = _struct.Struct('@i4xd').pack_into         # DOUBLE
_PK_B = _struct.Struct('@i4xi').pack_into         # BOOL, HANDLE
_PK_P = _struct.Struct('@i4xQI').pack_into        # BYTES, STR, BLOB
_UN_I = _struct.Struct('@i4xq').unpack_from
_UN_B = _struct.Struct('@i4xi').unpack_from
_UN_D = _struct.Struct('@i4xd').unpack_from
_UN_P = _struct.Struct('@i4xQI').unpack_from
_IN_SIZE = 1024
_OUT_SIZE = 4096
IN0, IN1, OUT0, OUT1 = 0, _VSIZE, 2 * _VSIZE, 3 * _VSIZE
_NOTHING = object()     # Scratch.in0 when IN0 holds nothing reusable


class Scratch:
    __slots__ = ('vals', 'mv', 'p0', 'p1', 'po', 'po1', 'inb', 'inaddr',
                 'inmv', 'out', 'outaddr', 'outmv', 'buf', 'pbuf', 'keep',
                 'i64', 'in0', 'in0end')

    def __init__(self):
        self.vals = (SmValue * 4)()
        self.mv = memoryview(self.vals).cast('B')
        self.p0, self.p1, self.po, self.po1 = [
            ctypes.byref(self.vals[k]) for k in range(4)]
        self.inb = ctypes.create_string_buffer(_IN_SIZE)
        self.inaddr = ctypes.addressof(self.inb)
        self.inmv = memoryview(self.inb).cast('B')
        self.buf = SmBuf(None, 0, 0)
        self.pbuf = ctypes.byref(self.buf)
        self.keep = []
        self.i64 = ctypes.c_int64()   # an index argument of a raw call
        self.in0, self.in0end = _NOTHING, 0   # see put()
        self._grow(_OUT_SIZE)

    def _grow(self, size):
        self.out = ctypes.create_string_buffer(size)
        self.outaddr = ctypes.addressof(self.out)
        self.outmv = memoryview(self.out).cast('B')
        self.buf.data = self.outaddr
        self.buf.size = size

    def again(self, ret, fn, *args, until=False):
        """After fn(*args, pbuf[, deadline]) returned ret: while it is
        -EMSGSIZE (or -EINTR with until), grow the buffer / call again.
        With until, args end with the deadline (it goes after buf)."""
        while True:
            if ret == -errno.EMSGSIZE and self.buf.needed > self.buf.size:
                self._grow(max(self.buf.needed, 2 * self.buf.size))
            elif not (ret == -errno.EINTR and until):
                return ret
            if until:
                ret = fn(*args[:-1], self.pbuf, args[-1])
            else:
                ret = fn(*args, self.pbuf)

    def put(self, obj, off, dpos=0):
        """Encode obj into the value at byte offset off; payloads go to the
        inline area from dpos.  Returns the next free dpos.  A call puts
        IN0 first, with dpos 0.

        The scratch remembers which object IN0 holds (in0; its payload ends
        at in0end): putting the same immutable object there again -- a
        dict key or Namespace name used over and over, the same scratch
        coming back from the LIFO pool -- writes nothing (3.7 us -> 0.7 us
        for a str in the guest).  libsync only reads input values, so only
        a put can change what IN0 holds."""
        if off == 0:
            if obj is self.in0:
                return self.in0end
            self.in0 = _NOTHING
        elif dpos < self.in0end:    # would overwrite IN0's payload
            self.in0 = _NOTHING
        t = type(obj)
        end = dpos
        if t is int and _INT64_MIN <= obj <= _INT64_MAX:
            _PK_I(self.mv, off, VAL_INT, obj)
        elif t is str or t is bytes:
            if t is bytes:
                data, vt = obj, VAL_BYTES
            else:
                try:
                    data, vt = obj.encode('utf-8'), VAL_STR
                except UnicodeEncodeError:
                    data = None     # lone surrogates: pickled
            if data is None or dpos + len(data) > _IN_SIZE:
                encode(obj, self.vals[off // _VSIZE], self.keep)
                return dpos
            end = dpos + len(data)
            self.inmv[dpos:end] = data
            _PK_P(self.mv, off, vt, self.inaddr + dpos, end - dpos)
        elif obj is None:
            _PK_T(self.mv, off, VAL_NONE)
        elif t is float:
            _PK_D(self.mv, off, VAL_DOUBLE, obj)
        elif t is bool:
            _PK_B(self.mv, off, VAL_BOOL, 1 if obj else 0)
        else:   # big ints, handles, anything pickled: not remembered
            encode(obj, self.vals[off // _VSIZE], self.keep)
            return dpos
        if off == 0:
            self.in0, self.in0end = obj, end
        return end

    def get(self, off):
        """The Python object of the value that came out at byte offset off."""
        t, i = _UN_I(self.mv, off)
        if t == VAL_INT:
            return i
        if t == VAL_NONE:
            return None
        if t == VAL_STR or t == VAL_BYTES or t == VAL_BLOB:
            t, p, n = _UN_P(self.mv, off)
            o = p - self.outaddr
            if 0 <= o and o + n <= self.buf.size:
                raw = self.outmv[o:o + n]
            else:
                raw = ctypes.string_at(p, n) if n else b''
            if t == VAL_STR:
                return str(raw, 'utf-8')
            if t == VAL_BYTES:
                return bytes(raw)
            return pickle.loads(raw)
        if t == VAL_DOUBLE:
            return _UN_D(self.mv, off)[1]
        if t == VAL_BOOL:
            return bool(_UN_B(self.mv, off)[1])
        return decode(self.vals[off // _VSIZE])


if not _FAST:   # another ABI: ctypes does the layout
    def _put(self, obj, off, dpos=0):
        encode(obj, self.vals[off // _VSIZE], self.keep)
        return dpos

    def _get(self, off):
        return decode(self.vals[off // _VSIZE])
    Scratch.put, Scratch.get = _put, _get

_pool = []
_pool_pop, _pool_push = _pool.pop, _pool.append


def take():
    """A scratch for one call; give it back with give()."""
    try:
        return _pool_pop()
    except IndexError:
        return Scratch()


def give(s):
    if s.keep:
        s.keep.clear()
    _pool_push(s)
