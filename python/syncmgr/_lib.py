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


lib = ctypes.CDLL(_find(), use_errno=False)

SM_FOREVER = -1
SM_DEADLINE_FOREVER = (1 << 64) - 1
SM_BARRIER_DEFAULT = -2
SM_NO_CLOEXEC = 1
SM_UNTRACKED = 2
SM_BARRIER_ACTION = 4

(TYPE_LOCK, TYPE_RLOCK, TYPE_SEMAPHORE, TYPE_BOUNDED_SEMAPHORE, TYPE_EVENT,
 TYPE_CONDITION, TYPE_BARRIER, TYPE_QUEUE, TYPE_VALUE, TYPE_ARRAY, TYPE_DICT,
 TYPE_LIST, TYPE_NAMESPACE) = range(1, 14)

(VAL_NONE, VAL_BOOL, VAL_INT, VAL_DOUBLE, VAL_BYTES, VAL_STR, VAL_BLOB,
 VAL_HANDLE) = range(8)

STATE_OWNER_DIED = 1
STATE_BROKEN = 2
DATA_NO_START = 4
DATA_NO_STOP = 8
DICT_KEYS = 1
DICT_VALUES = 2


class _Buf(ctypes.Structure):
    _fields_ = [('ptr', ctypes.c_void_p), ('len', ctypes.c_uint32)]


class _U(ctypes.Union):
    _fields_ = [('b', ctypes.c_int), ('i', ctypes.c_int64),
                ('d', ctypes.c_double), ('handle', ctypes.c_int),
                ('buf', _Buf)]


class SmValue(ctypes.Structure):
    _anonymous_ = ('u',)
    _fields_ = [('type', ctypes.c_int), ('u', _U)]


class SmBuf(ctypes.Structure):
    _fields_ = [('data', ctypes.c_void_p), ('size', ctypes.c_size_t),
                ('needed', ctypes.c_size_t)]


class SmSlice(ctypes.Structure):
    _fields_ = [('start', ctypes.c_int64), ('stop', ctypes.c_int64),
                ('step', ctypes.c_int64), ('flags', ctypes.c_uint)]


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
    if code == errno.ENOENT and what == 'device':
        return OSError(code, '/dev/syncmgr is missing: is the syncmgr module '
                       'loaded (modprobe syncmgr)?')
    return OSError(code, os.strerror(code) + (' (%s)' % what if what else ''))


def check(ret, what=''):
    if ret < 0:
        raise oserror(ret, what)
    return ret


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
def deadline(timeout):
    """An absolute CLOCK_MONOTONIC deadline for a timeout in seconds
    (None: forever; <= 0: now)."""
    if timeout is None:
        return SM_DEADLINE_FOREVER
    if timeout <= 0:
        return 0
    return lib.sm_deadline(int(timeout * 1e9))


def call_until(fn, *args):
    """Call a libsync *_until function (deadline last in args) again after
    EINTR: the interpreter runs signal handlers at the loop's back edge (an
    exception they raise, KeyboardInterrupt, propagates), and the wait
    resumes with the same deadline."""
    while True:
        ret = fn(*args)
        if ret != -errno.EINTR:
            return ret


# --- typed values -----------------------------------------------------------------
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


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
        keep.append(data)
        v.buf.ptr = _cast(data, _c_void_p)
        v.buf.len = len(data)
    elif isinstance(obj, SyncObject):
        v.type = VAL_HANDLE
        v.handle = obj._fd
        keep.append(obj)
    else:
        return _blob(obj, v, keep)
    return v


def _blob(obj, v, keep):
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    keep.append(data)
    v.type = VAL_BLOB
    v.buf.ptr = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p)
    v.buf.len = len(data)
    return v


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
    raise ValueError('unknown syncmgr value type %d' % t)


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
