"""Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier:
threading's objects, shared between processes through the kernel."""
import ctypes
import errno
import os
import pickle
import threading
import warnings

from . import _lib
from ._lib import (lib, raw, check, call_until, deadline, waited, FOREVER,
                   TOO_LONG, too_long)
from ._base import SyncObject, register, qualname

__all__ = ['Lock', 'RLock', 'Semaphore', 'BoundedSemaphore', 'Event',
           'Condition', 'Barrier', 'OwnerDiedWarning']

_EINTR, _ETIMEDOUT, _EPERM = -errno.EINTR, -errno.ETIMEDOUT, -errno.EPERM
_U32_MAX = _lib.U32_MAX       # the kernel's counts are 32-bit
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
    if timeout != -1 and timeout > _lib.TIMEOUT_MAX:   # first, as _thread
        raise too_long()
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

    def _at_fork_reinit(self):
        """threading calls this in a forked child to make a process-private
        lock usable again.  This lock is shared: its holder (maybe the
        parent) still holds it and will release it, so the kernel object is
        left as it is; only this handle's own state is reset."""
        _owner_died.pop(id(self), None)

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

    def __repr__(self):     # as _thread.lock's
        return '<%s %s object at %#x>' % (
            _maybe(lambda: 'locked' if self.locked() else 'unlocked'),
            qualname(self), id(self))

    # threading.Condition(lock) uses these when the lock has them; with a
    # Lock they do what Condition's own defaults do (held by anyone counts
    # as owned, as a threading.Lock has no owner)
    def _is_owned(self):
        return self.locked()

    def _release_save(self):
        self.release()

    def _acquire_restore(self, _state):
        self.acquire()


@register(_lib.TYPE_RLOCK)
class RLock(_Acquirer):
    """threading.RLock across processes: owned by one thread, recursive."""
    __slots__ = ()
    _acquire_fn = raw.sm_rlock_acquire_until
    _release_fn = raw.sm_rlock_release
    _release_msg = 'cannot release un-acquired lock'

    def __init__(self):
        self._init_fd(lib.sm_rlock_create(0))

    # The kernel knows the owner (its thread id, gettid(): threading's
    # native_id) and the depth: these are _thread.RLock's methods for
    # threading.Condition (and its own _recursion_count) over that.
    def _owned_depth(self):
        """The depth when the calling thread owns the lock, else 0."""
        st = self._state()
        if st.value and st.owner == threading.get_native_id():
            return st.value
        return 0

    def _is_owned(self):
        return self._owned_depth() > 0

    def _recursion_count(self):
        return self._owned_depth()

    def _release_save(self):
        """Release every level of the calling thread's ownership; the
        state to give _acquire_restore()."""
        count = self._owned_depth()
        if not count:
            raise RuntimeError('cannot release un-acquired lock')
        for _ in range(count):
            self.release()
        return count, threading.get_ident()

    def _acquire_restore(self, state):
        count, _owner = state
        self.acquire()
        for _ in range(count - 1):    # ours now: these do not block
            self.acquire()

    def __repr__(self):     # as _thread.RLock's
        def fmt():
            st = self._state()
            return '%s %s object owner=%d count=%d' % (
                'locked' if st.value else 'unlocked', qualname(self),
                _thread_ident(st.owner) if st.value else 0, st.value)
        return '<%s at %#x>' % (
            _maybe(fmt, lambda e: '%s %s object' % (e, qualname(self))),
            id(self))


def _thread_ident(tid):
    """threading.get_ident() of this process's thread whose native id is
    tid, else tid itself (a thread of another process)."""
    for t in threading.enumerate():
        if t.native_id == tid and t.ident is not None:
            return t.ident
    return tid


def _maybe(fmt, failed=None):
    """fmt() for a repr; for a handle that fails (closed), 'closed' (or
    failed('closed')) instead."""
    try:
        return fmt()
    except OSError as e:
        text = 'closed' if e.errno == errno.EBADF else 'error %d' % e.errno
        return failed(text) if failed else text


@register(_lib.TYPE_SEMAPHORE)
class Semaphore(SyncObject):
    """threading.Semaphore across processes (no owner)."""
    __slots__ = ()

    def __init__(self, value=1):
        if value < 0:
            raise ValueError('semaphore initial value must be >= 0')
        if value > _U32_MAX:
            raise Semaphore._overflow()
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
        """The current count (SyncManager's Semaphore has no such call):
        the kernel's whole 32-bit count (sm_sem_value() clamps it to a C
        int)."""
        return self._state().value

    _value = property(get_value)

    def __repr__(self):     # as threading's
        return '<%s at %#x: %s>' % (qualname(self), id(self),
                                    _maybe(self._repr_value))

    def _repr_value(self):
        return 'value=%d' % self.get_value()


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

    def _repr_value(self):
        st = self._state()
        return 'value=%d/%d' % (st.value, st.max)


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

    def __repr__(self):     # as threading's
        return '<%s at %#x: %s>' % (
            qualname(self), id(self),
            _maybe(lambda: 'set' if self.is_set() else 'unset'))


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
                if ret == _ETIMEDOUT and d is TOO_LONG:
                    raise too_long()    # as threading: the wait would block
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


# --- Barrier actions ---------------------------------------------------------
# libsync keeps one action per barrier and process (keyed by the object's
# id), as a C function pointer: any handle of the barrier in this process
# whose wait arrives last runs it.  So the action and its ctypes thunk
# belong to the process, not to the handle that brought them: _actions
# holds them, with how many Barrier handles of that id this process has,
# and unregisters the action when the last of them closes.  The exception
# of an action goes, through _tls, to the wait() that ran it, in whatever
# handle and thread.
class _Action:
    __slots__ = ('fn', 'cb', 'handles')

    def __init__(self):
        self.fn = self.cb = None
        self.handles = 0


_actions = {}
_actions_lock = threading.RLock()   # reentrant: __del__ may run under it
_tls = threading.local()


def _reinit_actions_lock():
    global _actions_lock
    _actions_lock = threading.RLock()


os.register_at_fork(after_in_child=_reinit_actions_lock)


def _runner(action):
    """The C callback running action; its exception waits in _tls for
    the wait() of this thread, which libsync is inside."""
    def run(_arg):
        try:
            action()
            return 0
        except BaseException as e:   # re-raised by wait()
            _tls.exc = e
            return -errno.ECANCELED
    return _lib.ACTION(run)


@register(_lib.TYPE_BARRIER)
class Barrier(SyncObject):
    """threading.Barrier across processes.  The action runs in the process
    of the party that arrives last, as in threading; a Barrier sent to
    another process takes its action along when the action pickles (a
    module-level function), else that process has none and its running it
    breaks the barrier.  Any handle of the barrier in a process can run
    the process's action, which lives as long as one of them."""
    __slots__ = ('_sid', '__dict__')

    def __init__(self, parties, action=None, timeout=None):
        if parties < 1:
            raise ValueError('parties must be >= 1')
        parties = _lib.u32(parties, 'parties')
        ns = 0 if timeout is None else _lib.timeout_ns(timeout)
        self._sid = None
        self._init_fd(lib.sm_barrier_create(
            parties, ns, _lib.SM_BARRIER_ACTION if action is not None else 0))
        self._attach(action)

    def _attach(self, action):
        """Count this handle for its barrier's action in this process, and
        register action there if the process has none yet."""
        self._sid = None
        st = self._state()
        if not st.flags & _lib.SM_BARRIER_ACTION:
            return      # never runs an action
        with _actions_lock:
            a = _actions.get(st.id)
            if a is None:
                a = _actions[st.id] = _Action()
            a.handles += 1
            self._sid = st.id
            if action is not None and a.fn is None:
                cb = _runner(action)
                check(lib.sm_barrier_set_action(self._fd, cb, None))
                a.fn, a.cb = action, cb

    def _detach(self):
        sid = getattr(self, '_sid', None)
        if sid is None:
            return
        self._sid = None
        with _actions_lock:
            a = _actions.get(sid)
            if a is None:
                return
            a.handles -= 1
            if a.handles <= 0:
                del _actions[sid]
                if a.cb is not None and self._fd >= 0:
                    lib.sm_barrier_set_action(self._fd, _lib.ACTION(), None)

    def __del__(self):
        try:
            self._detach()
        except Exception:    # at interpreter exit the globals may be gone
            pass
        SyncObject.__del__(self)

    @property
    def _action(self):
        """This process's action for the barrier (None: none)."""
        a = _actions.get(self._sid) if self._sid is not None else None
        return a.fn if a is not None else None

    def _extra(self):
        action = self._action
        if action is None:
            return None
        try:
            return pickle.dumps(action)
        except Exception:
            return None

    def _setup(self, extra):
        action = None
        if extra is not None:
            try:
                action = pickle.loads(extra)
            except Exception:
                pass
        self._attach(action)

    def wait(self, timeout=None):
        """As threading.Barrier.wait: the index, or BrokenBarrierError (also
        after a timeout, which breaks the barrier).  An exception raised by
        the action is raised here in the party that ran it (the barrier is
        broken: the others get BrokenBarrierError)."""
        if timeout is None:
            ns = self._state().timeout_ns
            d = deadline(ns / 1e9) if ns else FOREVER
        else:
            d = deadline(timeout)
        if d is TOO_LONG:
            # a wait with a past deadline would break the barrier: as
            # threading, the last party does not wait, the others raise
            if self.n_waiting + 1 < self.parties:
                raise too_long()
            d = FOREVER
        _tls.exc = None
        ret = call_until(lib.sm_barrier_wait_until, self._fd, d)
        exc, _tls.exc = _tls.exc, None
        if ret >= 0:
            return ret
        if exc is not None:
            raise exc
        if ret in (-errno.EPIPE, -errno.ETIMEDOUT, -errno.ENOEXEC,
                   -errno.ECANCELED):
            raise threading.BrokenBarrierError
        check(ret, 'wait')

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

    def __repr__(self):     # as threading's
        def fmt():
            if self.broken:
                return 'broken'
            return 'waiters=%d/%d' % (self.n_waiting, self.parties)
        return '<%s at %#x: %s>' % (qualname(self), id(self), _maybe(fmt))
