"""Waiting on many syncmgr objects at once (libsync's sm_wait_any and
sm_wait_all, issue 13), in the manner of multiprocessing.connection.wait.

    ready = syncmgr.wait_any([q_jobs, q_control, stop_event], timeout=5)

An entry is a Lock, RLock, Semaphore or BoundedSemaphore (taken, as
acquire() takes it), an Event (set; not changed), a Queue (not empty; not
taken) or (queue, 'put') (not full).  At most 64 entries, each object once.
"""
import ctypes
import errno
import warnings

from . import _lib
from ._lib import lib, check
from ._sync import (Lock, RLock, Semaphore, BoundedSemaphore, Event,
                    OwnerDiedWarning)
from ._data import Queue

__all__ = ['wait_any', 'wait_all', 'WAIT_MAX']

WAIT_MAX = 64                   # SM_WAIT_MAX
_WAIT_PUT = 1                   # SM_WAIT_PUT


class _WaitObj(ctypes.Structure):
    """struct sm_wait_obj (struct syncmgr_wait_obj)."""
    _fields_ = [('fd', ctypes.c_int32), ('flags', ctypes.c_uint32)]


_ARGS = (ctypes.POINTER(_WaitObj), ctypes.c_uint, ctypes.c_uint64,
         ctypes.POINTER(ctypes.c_uint64))
_any = getattr(lib, 'sm_wait_any_until', None)
_all = getattr(lib, 'sm_wait_all_until', None)
for _f in (_any, _all):
    if _f is not None:
        _f.argtypes = _ARGS
        _f.restype = ctypes.c_int

_TAKEN = (Lock, RLock, Semaphore, BoundedSemaphore)


def _entries(objects):
    objs = list(objects)
    if not objs:
        raise ValueError('nothing to wait for')
    if len(objs) > WAIT_MAX:
        raise ValueError('at most %d objects' % WAIT_MAX)
    arr = (_WaitObj * len(objs))()
    for i, o in enumerate(objs):
        flags = 0
        if isinstance(o, tuple) and len(o) == 2 and o[1] == 'put':
            o, flags = o[0], _WAIT_PUT
            if not isinstance(o, Queue):
                raise TypeError("(obj, 'put') takes a syncmgr Queue")
        elif not isinstance(o, _TAKEN + (Event, Queue)):
            raise TypeError('cannot wait on %r (a Lock, RLock, Semaphore, '
                            'BoundedSemaphore, Event or Queue)' % (o,))
        arr[i].fd = o.fileno()
        arr[i].flags = flags
    return objs, arr


def _call(fn, objects, timeout, what):
    if fn is None:
        raise NotImplementedError('libsync has no %s (older library)' % what)
    objs, arr = _entries(objects)
    d = _lib.deadline(timeout)
    died = ctypes.c_uint64(0)
    while True:
        ret = fn(arr, len(objs), d, ctypes.byref(died))
        if ret != -errno.EINTR:
            break
    if ret == -errno.ETIMEDOUT:
        if d is _lib.TOO_LONG:
            raise _lib.too_long()
        return objs, None, 0
    if ret == -errno.EINVAL:
        raise ValueError('%s: an object listed twice, or a bad entry' % what)
    if ret == -errno.EOWNERDEAD:
        ret = 0
    check(ret, what)
    return objs, ret, died.value


def _warn_died(objs, died):
    for i, o in enumerate(objs):
        if died >> i & 1:
            o = o[0] if isinstance(o, tuple) else o
            if hasattr(o, '_set_owner_died'):
                o._set_owner_died(True)
            warnings.warn(OwnerDiedWarning(
                'acquired %r, whose previous holder died holding it' % o),
                stacklevel=3)


def wait_any(objects, timeout=None):
    """Wait until one of objects is ready, take it if it is a lock or a
    semaphore, and return it in a list (the lowest-index one ready: exactly
    one); [] if timeout (seconds; None: forever) passed first.  As
    multiprocessing.connection.wait, which returns the ready objects."""
    objs, index, died = _call(_any, objects, timeout, 'wait_any')
    if index is None:
        return []
    _warn_died(objs, died)
    return [objs[index]]


def wait_all(objects, timeout=None):
    """Take all of objects at once (locks and semaphores acquired, Events
    set, Queues not empty) or none: True, or False on timeout."""
    objs, ret, died = _call(_all, objects, timeout, 'wait_all')
    if ret is None:
        return False
    _warn_died(objs, died)
    return True
