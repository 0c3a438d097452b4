"""The base of every syncmgr object: one fd, identity, pickling.

Sharing.  An object passed to a process that multiprocessing is starting
(fork, forkserver, spawn) travels as its fd (multiprocessing.reduction.DupFd).
Pickled at any other time (through multiprocessing's queues, pipes and pools,
or pickle.dumps for a socket), it travels as a reference: its type and the
kernel's unguessable per-object token, which the receiver opens with
sm_open_token() as long as the object is alive (same user only).  A token
holds the object until its first unpickling or a minute passes
(set_reference_hold(); with an older module the sender must keep its
object until the receiver has unpickled it, as a proxy needs its manager).
Without the token ABI (an older module) the fallback is DupFd's helper
thread in the sender, which must then also be alive at unpickling.
"""
import ctypes
import errno
import os
import pickle

from . import _lib
from ._lib import lib, check

_CLASSES = {}


def register(type_code):
    def deco(cls):
        _CLASSES[type_code] = cls
        cls._type_code = type_code
        return cls
    return deco


class SyncObject:
    """A syncmgr object: a handle (fd) to a kernel object."""
    __slots__ = ('_fd', '__weakref__')
    _type_code = 0

    def _init_fd(self, fd):
        """Own the fd a libsync *_create() returned (or raise its error).
        Creation opens /dev/syncmgr: ENOENT there means no module."""
        if fd < 0 and -fd in _DEVICE_ERRNOS:
            raise _lib.device_error(-fd)
        object.__setattr__(self, '_fd', check(fd, type(self).__name__))

    def __del__(self):
        fd = getattr(self, '_fd', -1)
        if fd is not None and fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
            object.__setattr__(self, '_fd', -1)

    def close(self):
        """Close this handle now (the object lives while others hold it)."""
        self.__del__()

    def fileno(self):
        """The handle's fd: poll()able (readable when a wait would succeed)."""
        return self._fd

    def _state(self):
        st = _lib.SmState()
        check(lib.sm_state(self._fd, ctypes.byref(st)))
        return st

    @property
    def sm_id(self):
        """The kernel object's id: equal for every handle of one object."""
        return self._state().id

    def _extra(self):
        """Python-side state to pickle with the reference."""
        return None

    def _setup(self, extra):
        """Restore _extra() after unpickling."""

    def __reduce__(self):
        return _rebuild, (type(self),) + reference(self._fd) + (self._extra(),)

    # sm_id through the class: a Namespace's own public names are its data
    def __eq__(self, other):
        if not isinstance(other, SyncObject):
            return NotImplemented
        return _sm_id(self) == _sm_id(other)

    def __hash__(self):
        return hash(_sm_id(self))

    def __repr__(self):
        return '<%s object, fd=%d>' % (qualname(self), self._fd)


_sm_id = SyncObject.sm_id.fget
_DEVICE_ERRNOS = (errno.ENOENT, errno.ENXIO, errno.ENODEV)


def qualname(obj):
    """'syncmgr.Lock' for a syncmgr.Lock: the name the package exports,
    as threading's reprs name threading.Event (a subclass: its own)."""
    cls = type(obj)
    mod = cls.__module__
    if mod.startswith(__package__ + '._'):
        mod = __package__
    return '%s.%s' % (mod, cls.__qualname__)


def from_fd(fd, extra=None, cls=None):
    """The syncmgr object owning a new fd (its class from the kernel)."""
    try:
        if cls is None:
            t = check(lib.sm_type(fd))
            cls = _CLASSES.get(t)
            if cls is None:
                raise TypeError('unknown syncmgr object type %d (a newer '
                                'module than this package?)' % t)
        obj = cls.__new__(cls)
    except BaseException:
        os.close(fd)     # nobody owns it yet
        raise
    object.__setattr__(obj, '_fd', fd)
    obj._setup(extra)    # from here obj owns the fd (closed by __del__)
    return obj


# --- references ---------------------------------------------------------------------
def reference(fd):
    """How an fd travels in a pickle: ('fd', DupFd) while multiprocessing
    starts a process, ('token', bytes) with the token ABI, else ('fd',
    DupFd) through multiprocessing's resource sharer."""
    from multiprocessing import context, reduction
    if context.get_spawning_popen() is None and _lib.HAVE_TOKEN:
        tok = ctypes.create_string_buffer(_lib.TOKEN_SIZE)
        ret = -1
        if _HOLD_NS and _token_hold is not None:
            ret = _token_hold(fd, tok, _HOLD_NS, _HOLD_ONCE)
        if ret < 0:
            ret = lib.sm_token(fd, tok)
        if ret >= 0:
            return 'token', tok.raw
    return 'fd', reduction.DupFd(fd)


def open_reference(kind, ref):
    if kind == 'token':
        fd = lib.sm_open_token(ref, 0)
        if fd < 0 and -fd in _DEVICE_ERRNOS and not os.path.exists(
                _lib.DEVICE):
            raise _lib.device_error(-fd)
        if fd == -errno.ENOENT:
            raise ReferenceError('the syncmgr object is gone: its sender '
                                 'closed the last handle before this '
                                 'process unpickled it')
        return check(fd, 'open by token')
    return ref.detach()


def _rebuild(cls, kind, ref, extra):
    return from_fd(open_reference(kind, ref), extra, cls)


# --- held references (issue 13) ------------------------------------------------------
# A pickled reference holds its object until the first unpickling or
# _HOLD_NS, whichever comes first (sm_token_hold, SM_HOLD_ONCE), so that
# an object put on a queue by a sender that then drops it still arrives.
_HOLD_ONCE = 1
_HOLD_NS = 60 * 10 ** 9
_token_hold = getattr(lib, 'sm_token_hold', None)
if _token_hold is not None:
    _token_hold.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int64,
                            ctypes.c_uint)
    _token_hold.restype = ctypes.c_int


def set_reference_hold(seconds):
    """How long a pickled reference keeps its object alive if nobody
    unpickles it (default 60 s, at most a day; the first unpickling ends
    the hold; 0: no hold, the sender must keep its object, as before)."""
    global _HOLD_NS
    if not 0 <= seconds <= 86400:
        raise ValueError('seconds must be between 0 and 86400')
    _HOLD_NS = int(seconds * 1e9)
