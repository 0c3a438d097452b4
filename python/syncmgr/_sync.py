"""Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier:
threading's objects, shared between processes through the kernel."""
import ctypes
import errno
import pickle
import threading
import warnings

from . import _lib
from ._lib import lib, raw, check, call_until, deadline, waited, FOREVER
from ._base import SyncObject, register

__all__ = ['Lock', 'RLock', 'Semaphore', 'BoundedSemaphore', 'Event',
           'Condition', 'Barrier', 'OwnerDiedWarning']

_EINTR, _ETIMEDOUT, _EPERM = -errno.EINTR, -errno.ETIMEDOUT, -errno.EPERM
_U32_MAX = (1 << 32) - 1      # the kernel's counts are 32-bit
# the hot paths call libsync without argtypes (_lib._Raw): deadlines go as
# c_uint64 objects; a retry after EINTR goes through call_until, a Python
# function, so that the signal's handler runs (on its entry) first
_sem_acquire_until, _sem_release = raw.sm_sem_acquire_until, raw.sm_sem_release
_event_is_set, _event_wait_until = raw.sm_event_is_set, raw.sm_event_wait_until
_event_set, _event_clear = raw.sm_event_set, raw.sm_event_clear


class OwnerDiedWarning(RuntimeWarning):
    """An acquire succeeded, but the lock's previous holder (a process, or
    an RLock's thread) died holding it: what it protects may be
    inconsistent.  The lock IS held when this is issued, also when a
    warnings filter turns it into an exception (then release it)."""


def _acquire_timeout(blocking, timeout):
    """threading.Lock.acquire's argument rules -> seconds or None."""
    if timeout is None:
        timeout = -1
    if not blocking:
        if timeout != -1:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0
    if timeout < 0 and timeout != -1:
        raise ValueError('timeout value must be a non-negative number')
    return None if timeout == -1 else timeout


class _Acquirer(SyncObject):
    """acquire/release and the context manager of the lock types.  A
    subclass names its raw (_lib._Raw) acquire_until and release functions."""
    __slots__ = ()
    _acquire_fn = None
    _release_fn = None
    _release_msg = 'release unlocked lock'

    def acquire(self, blocking=True, timeout=-1):
        """As threading.Lock.acquire.  True also when the previous holder
        died holding the lock: then self.owner_died is True and an
        OwnerDiedWarning is issued."""
        if blocking and timeout == -1:
            d = FOREVER
        else:
            d = deadline(_acquire_timeout(blocking, timeout))
        ret = self._acquire_fn(self._fd, d)
        if ret == 0:
            if _owner_died:
                _owner_died.pop(id(self), None)
            return True
        return self._acquire_result(ret, d)

    __enter__ = acquire

    def _acquire_result(self, ret, d):
        """acquire() after the first call returned ret != 0."""
        if ret == _EINTR:   # a handler ran on entry here; same deadline
            ret = call_until(self._acquire_fn, self._fd, d)
            if ret == 0:
                _owner_died.pop(id(self), None)
                return True
        if ret == _ETIMEDOUT:
            return False
        if ret == -errno.EOWNERDEAD:
            self._set_owner_died(True)
            warnings.warn(OwnerDiedWarning(
                'acquired %r, whose previous holder died holding it' % self),
                stacklevel=3)
            return True
        check(ret, 'acquire')

    def _set_owner_died(self, v):
        # per handle, kept on the class-less side table (slots)
        _owner_died[id(self)] = v

    @property
    def owner_died(self):
        """True when this handle's last successful acquire found that the
        previous holder had died holding the lock."""
        return _owner_died.get(id(self), False)

    def release(self):
        ret = self._release_fn(self._fd)
        if ret < 0:
            if ret == _EPERM:
                raise RuntimeError(self._release_msg)
            check(ret, 'release')

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        _owner_died.pop(id(self), None)
        SyncObject.__del__(self)


_owner_died = {}


@register(_lib.TYPE_LOCK)
class Lock(_Acquirer):
    """threading.Lock across processes.  Held by the process that acquired
    it, releasable by any (as Python's); untracked=True for the hand-off
    pattern (then a dead holder's lock stays held)."""
    __slots__ = ()
    _acquire_fn = raw.sm_lock_acquire_until
    _release_fn = raw.sm_lock_release

    def __init__(self, untracked=False):
        self._init_fd(lib.sm_lock_create(_lib.SM_UNTRACKED if untracked else 0))

    def locked(self):
        return bool(check(lib.sm_lock_locked(self._fd)))

    def __repr__(self):
        return '<%s.Lock object, fd=%d, %s>' % (
            __package__, self._fd, 'locked' if self.locked() else 'unlocked')


@register(_lib.TYPE_RLOCK)
class RLock(_Acquirer):
    """threading.RLock across processes: owned by one thread, recursive."""
    __slots__ = ()
    _acquire_fn = raw.sm_rlock_acquire_until
    _release_fn = raw.sm_rlock_release
    _release_msg = 'cannot release un-acquired lock'

    def __init__(self):
        self._init_fd(lib.sm_rlock_create(0))


@register(_lib.TYPE_SEMAPHORE)
class Semaphore(SyncObject):
    """threading.Semaphore across processes (no owner)."""
    __slots__ = ()

    def __init__(self, value=1):
        if value < 0:
            raise ValueError('semaphore initial value must be >= 0')
        if value > _U32_MAX:
            raise self._overflow()
        self._init_fd(self._create(value))

    @staticmethod
    def _create(value):
        return lib.sm_sem_create(value, 0)

    def acquire(self, blocking=True, timeout=None):
        if blocking and timeout is None:
            d = FOREVER
        elif not blocking and timeout is not None:
            raise ValueError("can't specify timeout for non-blocking acquire")
        else:
            d = deadline(timeout if blocking else 0)
        ret = _sem_acquire_until(self._fd, d)
        return ret == 0 or waited(ret, _sem_acquire_until, self._fd, d,
                                  'acquire')

    __enter__ = acquire

    def release(self, n=1):
        if n < 1:
            raise ValueError('n must be one or more')
        # the kernel counts in 32 bits: a larger n must not be truncated
        ret = _sem_release(self._fd, n) if n <= _U32_MAX else -errno.EOVERFLOW
        if ret < 0:
            if ret == -errno.EOVERFLOW:
                raise self._overflow()
            check(ret, 'release')

    @staticmethod
    def _overflow():
        return OverflowError('semaphore value beyond 2**32 - 1')

    def __exit__(self, *exc):
        self.release()

    def get_value(self):
        """The current count (SyncManager's Semaphore has no such call)."""
        return check(lib.sm_sem_value(self._fd))

    _value = property(get_value)


@register(_lib.TYPE_BOUNDED_SEMAPHORE)
class BoundedSemaphore(Semaphore):
    """threading.BoundedSemaphore across processes."""
    __slots__ = ()

    @staticmethod
    def _create(value):
        return lib.sm_bsem_create(value, 0)

    @staticmethod
    def _overflow():
        return ValueError('Semaphore released too many times')


@register(_lib.TYPE_EVENT)
class Event(SyncObject):
    """threading.Event across processes."""
    __slots__ = ()

    def __init__(self):
        self._init_fd(lib.sm_event_create(0))

    def is_set(self):
        ret = _event_is_set(self._fd)
        if ret < 0:
            check(ret)
        return ret > 0

    isSet = is_set

    def set(self):
        check(_event_set(self._fd))

    def clear(self):
        check(_event_clear(self._fd))

    def wait(self, timeout=None):
        d = FOREVER if timeout is None else deadline(timeout)
        ret = _event_wait_until(self._fd, d)
        return ret == 0 or waited(ret, _event_wait_until, self._fd, d, 'wait')


@register(_lib.TYPE_CONDITION)
class Condition(_Acquirer):
    """threading.Condition across processes, over a syncmgr Lock or RLock
    (default: a new RLock)."""
    __slots__ = ()
    _acquire_fn = raw.sm_cond_acquire_until
    _release_fn = raw.sm_cond_release
    _release_msg = 'cannot release un-acquired lock'

    def __init__(self, lock=None):
        if lock is None:
            fd = -1
        elif isinstance(lock, (Lock, RLock)):
            fd = lock._fd
        else:
            raise TypeError('a syncmgr Condition needs a syncmgr Lock or '
                            'RLock, not %s' % type(lock).__name__)
        self._init_fd(lib.sm_cond_create(fd, 0))

    def wait(self, timeout=None):
        """As threading.Condition.wait.  A wake-up because a holder of the
        lock died returns True (treat it as a spurious wake-up)."""
        d = deadline(timeout)
        while True:
            ret = lib.sm_cond_wait_until(self._fd, d)
            if ret != -errno.EINTR:
                return self._wait_result(ret)
            # EINTR: the lock is held again and the handler runs at this
            # back edge; then wait on for the rest of the time.

    def _wait_result(self, ret):
        if ret == 0 or ret == -errno.EOWNERDEAD:
            return True
        if ret == -errno.ETIMEDOUT:
            return False
        if ret == -errno.EPERM:
            raise RuntimeError('cannot wait on un-acquired lock')
        check(ret, 'wait')

    def wait_for(self, predicate, timeout=None):
        """As threading.Condition.wait_for."""
        endtime = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = _lib.lib.sm_now() / 1e9 + waittime
                else:
                    waittime = endtime - _lib.lib.sm_now() / 1e9
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n=1):
        # no more than 2**32 - 1 can wait: a larger n means all of them
        ret = lib.sm_cond_notify(self._fd, min(n, _U32_MAX)) if n > 0 else 0
        if ret == -errno.EPERM:
            raise RuntimeError('cannot notify on un-acquired lock')
        check(ret, 'notify')
        if n <= 0 and not self._owned():
            raise RuntimeError('cannot notify on un-acquired lock')

    def _owned(self):
        return self._state().value != 0

    def notify_all(self):
        ret = lib.sm_cond_notify_all(self._fd)
        if ret == -errno.EPERM:
            raise RuntimeError('cannot notify on un-acquired lock')
        check(ret, 'notify_all')

    notifyAll = notify_all


@register(_lib.TYPE_BARRIER)
class Barrier(SyncObject):
    """threading.Barrier across processes.  The action runs in the process
    of the party that arrives last, as in threading; a Barrier sent to
    another process takes its action along when the action pickles (a
    module-level function), else that process has none and its running it
    breaks the barrier."""
    __slots__ = ('_action', '_cb', '_exc', '__dict__')

    def __init__(self, parties, action=None, timeout=None):
        if parties < 1:
            raise ValueError('parties must be >= 1')
        ns = 0 if timeout is None else max(1, int(timeout * 1e9))
        self._init_fd(lib.sm_barrier_create(
            parties, ns, _lib.SM_BARRIER_ACTION if action is not None else 0))
        self._set_action(action)

    def _set_action(self, action):
        self._action = action
        self._exc = None
        if action is None:
            self._cb = None
            return

        def run(_arg):
            try:
                action()
                return 0
            except BaseException as e:   # re-raised by wait()
                self._exc = e
                return -errno.ECANCELED
        self._cb = _lib.ACTION(run)
        check(lib.sm_barrier_set_action(self._fd, self._cb, None))

    def _extra(self):
        if self._action is None:
            return None
        try:
            return pickle.dumps(self._action)
        except Exception:
            return None

    def _setup(self, extra):
        self._action = self._cb = self._exc = None
        if extra is not None:
            try:
                self._set_action(pickle.loads(extra))
            except Exception:
                pass

    def wait(self, timeout=None):
        """As threading.Barrier.wait: the index, or BrokenBarrierError (also
        after a timeout, which breaks the barrier).  An exception raised by
        the action is raised here in the party that ran it."""
        if timeout is None:
            d = deadline(self._default_timeout())
        else:
            d = deadline(timeout)
        ret = call_until(lib.sm_barrier_wait_until, self._fd, d)
        if ret >= 0:
            return ret
        exc, self._exc = self._exc, None
        if exc is not None:
            raise exc
        if ret in (-errno.EPIPE, -errno.ETIMEDOUT, -errno.ENOEXEC,
                   -errno.ECANCELED):
            raise threading.BrokenBarrierError
        check(ret, 'wait')

    def _default_timeout(self):
        ns = self._state().timeout_ns
        return ns / 1e9 if ns else None

    def reset(self):
        check(lib.sm_barrier_reset(self._fd))

    def abort(self):
        check(lib.sm_barrier_abort(self._fd))

    @property
    def parties(self):
        return check(lib.sm_barrier_parties(self._fd))

    @property
    def n_waiting(self):
        return check(lib.sm_barrier_n_waiting(self._fd))

    @property
    def broken(self):
        return bool(check(lib.sm_barrier_broken(self._fd)))
