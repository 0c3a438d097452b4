"""Named objects (libsync's sm_named_open / sm_named_unlink, issue 13):
objects that unrelated processes reach by name, as POSIX sem_open() and
SyncManager's register()/get_queue() do.

    q = syncmgr.open('jobs', syncmgr.Queue, create=True, maxsize=100)
    ...                                 # in any process of the namespace:
    q = syncmgr.open('jobs', syncmgr.Queue)

Names live per IPC namespace; a name keeps its object alive until
syncmgr.unlink(name).  Access is checked as a file's (owner, group,
others: mode), read-only handles (readonly=True) only observe and wait.
"""
import ctypes
import errno
import os

from . import _lib
from ._lib import lib, check
from ._base import from_fd, _CLASSES

__all__ = ['open', 'unlink']

SM_CREAT, SM_EXCL, SM_READ, SM_WRITE = 1 << 8, 1 << 9, 1 << 10, 1 << 11
NAME_MAX = 255


class _Create(ctypes.Structure):
    """struct syncmgr_create."""
    _fields_ = [('type', ctypes.c_uint32), ('flags', ctypes.c_uint32),
                ('value', ctypes.c_uint32), ('lock_fd', ctypes.c_int32),
                ('timeout_ns', ctypes.c_uint64), ('typecode', ctypes.c_uint32),
                ('reserved0', ctypes.c_uint32),
                ('reserved', ctypes.c_uint64 * 2)]


_open = getattr(lib, 'sm_named_open', None)
_unlink = getattr(lib, 'sm_named_unlink', None)
if _open is not None:
    _open.argtypes = (ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint,
                      ctypes.c_uint, ctypes.POINTER(_Create))
    _open.restype = ctypes.c_int
    _unlink.argtypes = (ctypes.c_char_p, ctypes.c_uint)
    _unlink.restype = ctypes.c_int

_BY_NAME = {'Lock': _lib.TYPE_LOCK, 'RLock': _lib.TYPE_RLOCK,
            'Semaphore': _lib.TYPE_SEMAPHORE,
            'BoundedSemaphore': _lib.TYPE_BOUNDED_SEMAPHORE,
            'Event': _lib.TYPE_EVENT, 'Queue': _lib.TYPE_QUEUE,
            'JoinableQueue': _lib.TYPE_QUEUE, 'Value': _lib.TYPE_VALUE,
            'Array': _lib.TYPE_ARRAY, 'dict': _lib.TYPE_DICT,
            'Dict': _lib.TYPE_DICT, 'list': _lib.TYPE_LIST,
            'List': _lib.TYPE_LIST, 'Namespace': _lib.TYPE_NAMESPACE}


def _type_of(kind):
    if kind is None:
        return 0
    if isinstance(kind, str):
        if kind not in _BY_NAME:
            raise ValueError('unknown kind %r' % kind)
        return _BY_NAME[kind]
    code = getattr(kind, '_type_code', 0)
    if not code or _CLASSES.get(code) is not kind:
        raise TypeError('kind must be a syncmgr class or its name')
    return code


def _name(name):
    b = os.fsencode(name)
    if not b or b'/' in b or b'\0' in b:
        raise ValueError('a name is 1 to %d bytes, without "/" or NUL'
                         % NAME_MAX)
    if len(b) > NAME_MAX:
        raise ValueError('name longer than %d bytes' % NAME_MAX)
    return b


def _raise(ret, name, t):
    err = -ret
    if err == errno.ENOENT:
        raise FileNotFoundError(err, os.strerror(err), name)
    if err == errno.EEXIST:
        raise FileExistsError(err, os.strerror(err), name)
    if err == errno.EACCES:
        raise PermissionError(err, os.strerror(err), name)
    if err == errno.EBADFD:
        raise TypeError('%r is not a %s' % (name, _CLASSES[t].__name__)
                        if t in _CLASSES else '%r: wrong kind' % name)
    check(ret, 'open %r' % name)


def open(name, kind=None, create=False, exclusive=False, mode=0o600,
         readonly=False, value=0, maxsize=0, typecode=None, size=0):
    """The object called name in this IPC namespace, as a new handle.

    kind: a syncmgr class (syncmgr.Queue) or its name ('Queue'); the object
    must be of it (TypeError otherwise); None: any kind (required to
    create).  create: make it if the name is free (exclusive: fail with
    FileExistsError if it is not), with mode (less the umask) and the
    kind's argument: value (Semaphore, BoundedSemaphore), maxsize (Queue),
    typecode and size (Array; typecode also Value).  FileNotFoundError if
    there is no such name; PermissionError if the mode does not allow it.
    readonly: a handle that only observes and waits."""
    if _open is None:
        raise NotImplementedError('libsync has no sm_named_open')
    b = _name(name)
    t = _type_of(kind)
    flags = SM_READ | (0 if readonly else SM_WRITE)
    args = None
    if create:
        if not t:
            raise TypeError('creating needs a kind')
        flags |= SM_CREAT | (SM_EXCL if exclusive else 0)
        args = _Create(type=t)
        if t in (_lib.TYPE_SEMAPHORE, _lib.TYPE_BOUNDED_SEMAPHORE):
            args.value = _lib.u32(value, 'value')
        elif t == _lib.TYPE_QUEUE:
            args.value = _lib.u32(max(0, maxsize), 'maxsize')
        elif t == _lib.TYPE_ARRAY:
            if not isinstance(typecode, str) or len(typecode) != 1:
                raise ValueError('an Array needs a typecode')
            args.typecode = ord(typecode)
            args.value = _lib.u32(size, 'size')
        elif t == _lib.TYPE_VALUE and typecode is not None:
            args.typecode = (ord(typecode) if isinstance(typecode, str)
                             else typecode)
    elif exclusive:
        raise ValueError('exclusive needs create')
    ret = _open(b, t, flags, mode if create else 0,
                ctypes.byref(args) if args is not None else None)
    if ret < 0:
        _raise(ret, name, t)
    return from_fd(ret)


def unlink(name, kind=None):
    """Remove the name (its object lives on while handles of it exist).
    FileNotFoundError if there is none; PermissionError unless the caller
    owns it."""
    if _unlink is None:
        raise NotImplementedError('libsync has no sm_named_unlink')
    t = _type_of(kind)
    ret = _unlink(_name(name), t)
    if ret < 0:
        _raise(ret, name, t)
