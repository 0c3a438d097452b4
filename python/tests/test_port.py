"""The details a program ported from threading / multiprocessing.Manager()
meets: threading's reprs, OverflowError for what does not fit (never a
silent wrap), the lock hooks threading.Condition uses, the proxies'
_getvalue() and copy/deepcopy, Namespace attributes named like methods,
Barrier actions that live while a handle can run them, no fd leaked when a
page of values fails to decode, and a clear error without /dev/syncmgr.
Python's own objects (threading, queue, the manager's types) are the
oracle wherever they say what to expect."""
import array
import copy
import gc
import multiprocessing as mp
import multiprocessing.managers as managers
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import unittest

import syncmgr
from syncmgr import _sync

M = syncmgr.Manager()
BIG = (1e10, float('inf'), 2 ** 70)     # beyond threading.TIMEOUT_MAX
sm_id = syncmgr.SyncObject.sm_id.fget   # for a Namespace too


def outcome(fn, *a, **kw):
    try:
        return ('ok', fn(*a, **kw))
    except Exception as e:   # the exception type is what must match
        return ('exc', type(e))


def nfds():
    return len(os.listdir('/proc/self/fd'))


def spin(cond, timeout=30):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError('timed out')
        time.sleep(0.005)


class Reprs(unittest.TestCase):
    """threading's formats, with syncmgr's names and the object's id."""

    def like(self, mine, ref, ref_name):
        want = repr(ref).replace(ref_name, syncmgr.__name__ + '.' +
                                 type(mine).__name__)
        want = want.replace('%#x' % id(ref), '%#x' % id(mine))
        self.assertEqual(repr(mine), want)

    def test_lock(self):
        mine, ref = M.Lock(), threading.Lock()
        self.like(mine, ref, '_thread.lock')
        mine.acquire()
        ref.acquire()
        self.like(mine, ref, '_thread.lock')
        self.assertRegex(repr(mine), r'^<locked syncmgr\.Lock object at '
                         r'0x[0-9a-f]+>$')

    def test_rlock(self):
        mine, ref = M.RLock(), threading.RLock()
        self.like(mine, ref, '_thread.RLock')
        for _ in range(2):
            mine.acquire()
            ref.acquire()
            self.like(mine, ref, '_thread.RLock')
        # owned by another thread: that thread's ident, as threading's
        held, done = threading.Event(), threading.Event()

        def other():
            with mine:
                with ref:
                    held.set()
                    done.wait(10)
        mine.release()
        mine.release()
        ref.release()
        ref.release()
        t = threading.Thread(target=other)
        t.start()
        held.wait(10)
        try:
            self.like(mine, ref, '_thread.RLock')
            self.assertIn('owner=%d count=1' % t.ident, repr(mine))
        finally:
            done.set()
            t.join()
        self.like(mine, ref, '_thread.RLock')

    def test_rlock_held_by_another_process(self):
        r, held, done = M.RLock(), M.Event(), M.Event()
        p = mp.get_context('fork').Process(target=hold_rlock,
                                           args=(r, held, done))
        p.start()
        try:
            self.assertTrue(held.wait(30))
            # a thread of another process: its thread id (its pid here)
            self.assertEqual(repr(r), '<locked syncmgr.RLock object owner=%d '
                             'count=1 at %#x>' % (p.pid, id(r)))
        finally:
            done.set()
            p.join(30)

    def test_semaphores_event_barrier(self):
        for v in (0, 3):
            self.like(M.Semaphore(v), threading.Semaphore(v),
                      'threading.Semaphore')
        mine, ref = M.BoundedSemaphore(2), threading.BoundedSemaphore(2)
        self.like(mine, ref, 'threading.BoundedSemaphore')
        mine.acquire()
        ref.acquire()
        self.like(mine, ref, 'threading.BoundedSemaphore')
        self.assertRegex(repr(mine), r'^<syncmgr\.BoundedSemaphore at '
                         r'0x[0-9a-f]+: value=1/2>$')
        mine, ref = M.Event(), threading.Event()
        self.like(mine, ref, 'threading.Event')
        mine.set()
        ref.set()
        self.like(mine, ref, 'threading.Event')
        mine, ref = M.Barrier(3), threading.Barrier(3)
        self.like(mine, ref, 'threading.Barrier')
        t = threading.Thread(target=outcome, args=(mine.wait, 10))
        t.start()
        spin(lambda: mine.n_waiting == 1)
        self.assertEqual(repr(mine), '<syncmgr.Barrier at %#x: waiters=1/3>'
                         % id(mine))
        mine.abort()
        ref.abort()
        t.join()
        self.like(mine, ref, 'threading.Barrier')

    def test_subclass_and_closed(self):
        class MyEvent(syncmgr.Event):
            pass
        e = MyEvent()
        self.assertTrue(repr(e).startswith('<%s.%s at ' % (
            __name__, MyEvent.__qualname__)), repr(e))
        lk = M.Lock()
        lk.close()
        self.assertEqual(repr(lk), '<closed syncmgr.Lock object at %#x>'
                         % id(lk))


def hold_rlock(r, held, done):
    with r:
        held.set()
        done.wait(30)


class Overflow(unittest.TestCase):
    """What does not fit the kernel's integers raises OverflowError."""

    def test_timeouts_as_threading(self):
        T = threading.TIMEOUT_MAX
        for t in BIG + (T * 1.001,):
            # a lock checks before trying, even when free
            for mine, ref in ((M.Lock(), threading.Lock()),
                              (M.RLock(), threading.RLock())):
                self.assertEqual(outcome(mine.acquire, timeout=t),
                                 outcome(ref.acquire, timeout=t), t)
                self.assertEqual(outcome(mine.acquire, True, t),
                                 ('exc', OverflowError))
            # the others only when they would wait
            e = M.Event()
            self.assertRaises(OverflowError, e.wait, t)
            e.set()
            self.assertTrue(e.wait(t))
            self.assertRaises(OverflowError, M.Semaphore(0).acquire, True, t)
            self.assertTrue(M.Semaphore(1).acquire(True, t))
            q, ref = M.Queue(1), queue.Queue(1)
            self.assertRaises(OverflowError, q.get, True, t)
            q.put('x', True, t)
            ref.put('x', True, t)
            self.assertRaises(OverflowError, q.put, 'y', True, t)
            self.assertEqual(q.get(True, t), 'x')
            M.Queue().put('z', True, t)             # unbounded: no wait
            jq = M.JoinableQueue()
            jq.put(1)
            self.assertRaises(OverflowError, jq.join, t)
            self.assertEqual(M.Barrier(1).wait(t), 0)   # the last: no wait
            b = M.Barrier(2)
            self.assertRaises(OverflowError, b.wait, t)
            self.assertFalse(b.broken)
            self.assertEqual(b.n_waiting, 0)
            c = M.Condition()
            self.assertRaises(RuntimeError, c.wait, t)
            with c:
                self.assertRaises(OverflowError, c.wait, t)
                self.assertRaises(OverflowError, c.wait_for, lambda: 0, t)
            self.assertTrue(c.acquire(False))   # the lock is back, free
            c.release()
        # TIMEOUT_MAX itself is a timeout (a free lock: taken at once)
        self.assertTrue(M.Lock().acquire(timeout=T))
        e = M.Event()
        e.set()
        self.assertTrue(e.wait(T))
        # NaN: ValueError, as threading
        nan = float('nan')
        self.assertEqual(outcome(M.Lock().acquire, timeout=nan),
                         outcome(threading.Lock().acquire, timeout=nan))
        self.assertRaises(ValueError, M.Event().wait, nan)

    def test_barrier_creation(self):
        self.assertRaises(OverflowError, M.Barrier, 2 ** 32 + 1)
        self.assertRaises(OverflowError, M.Barrier, 2, None, 1e10)
        self.assertRaises(OverflowError, M.Barrier, 2, None, float('inf'))
        self.assertRaises(ValueError, M.Barrier, 2, None, float('nan'))

    def test_counts(self):
        self.assertRaises(OverflowError, M.Queue, 2 ** 32 + 1)
        self.assertRaises(OverflowError, M.Queue, 2 ** 64)
        self.assertEqual(M.Queue(2 ** 32 - 1).maxsize, 2 ** 32 - 1)
        self.assertEqual(M.Queue(-2 ** 70).maxsize, 0)   # as queue: unbounded
        self.assertRaises(OverflowError, M.Semaphore, 2 ** 32)
        self.assertRaises(OverflowError, M.BoundedSemaphore, 2 ** 32)
        self.assertRaises(OverflowError, M.Semaphore(0).release, 2 ** 32)
        # counts read back whole, not clamped to a C int
        s = M.Semaphore(2 ** 32 - 1)
        self.assertEqual(s.get_value(), 2 ** 32 - 1)
        self.assertIn('value=%d>' % (2 ** 32 - 1), repr(s))
        self.assertRaises(OverflowError, syncmgr.Value, 2 ** 40, 1)

    def test_numbers(self):
        a = M.Array('q', [1, 2])
        for big in (2 ** 63, -2 ** 63 - 1, 2 ** 64 + 1):
            self.assertRaises(OverflowError, a.add, 0, big)
            self.assertRaises(OverflowError, a.compare_and_swap, 0, big, 1)
            self.assertRaises(OverflowError, a.compare_and_swap, 0, 1, big)
            self.assertRaises(OverflowError, a.__setitem__, 0, big)
            self.assertRaises(OverflowError, a.__setitem__, slice(0, 1),
                              [big])
            self.assertRaises(OverflowError, M.Array, 'q', [big])
            self.assertEqual(outcome(array.array, 'q', [big]),
                             ('exc', OverflowError))
        self.assertEqual(a[:], array.array('q', [1, 2]))
        v = M.Value('q', 1)
        self.assertRaises(OverflowError, v.add, 2 ** 64 + 1)
        self.assertEqual(v.value, 1)
        f = M.Value('d', 1.0)
        self.assertEqual(f.add(2 ** 70), 1.0)
        self.assertEqual(f.value, 1.0 + 2 ** 70)

    def test_list(self):
        li, ref = M.list([1, 2, 3]), [1, 2, 3]
        for n in (2 ** 64, -2 ** 64, 2 ** 70):
            self.assertEqual(outcome(li.__imul__, n), outcome(ref.__imul__, n))
        self.assertEqual(li, [1, 2, 3])
        for step in (2 ** 64, -2 ** 64, 2 ** 63, -2 ** 63):
            sl = slice(None, None, step)
            self.assertEqual(li[sl], ref[sl], step)
            del ref[sl]
            del li[sl]
            self.assertEqual(li[:], ref, step)
            li[:] = ref = [1, 2, 3]


class ConditionHooks(unittest.TestCase):
    """threading.Condition over a syncmgr Lock or RLock."""

    def test_rlock_hooks_as_threading(self):
        me = threading.get_ident()
        mine, ref = M.RLock(), RefRLock()
        for name, args in [
                ('_is_owned', ()), ('_recursion_count', ()),
                ('_release_save', ()), ('acquire', ()), ('acquire', ()),
                ('_is_owned', ()), ('_recursion_count', ()),
                ('_release_save', ()), ('_is_owned', ()),
                ('_recursion_count', ()), ('_release_save', ()),
                ('_acquire_restore', ((3, me),)), ('_recursion_count', ()),
                ('_release_save', ()), ('acquire', ()),
                ('_recursion_count', ()), ('release', ()), ('release', ())]:
            self.assertEqual(outcome(getattr(mine, name), *args),
                             outcome(getattr(ref, name), *args), name)
        # another thread's view
        mine.acquire()
        res = []
        t = threading.Thread(target=lambda: res.append(
            (mine._is_owned(), mine._recursion_count(),
             outcome(mine._release_save))))
        t.start()
        t.join()
        self.assertEqual(res, [(False, 0, ('exc', RuntimeError))])
        self.assertEqual(mine._recursion_count(), 1)
        mine.release()

    def test_lock_hooks(self):
        lk = M.Lock()
        self.assertFalse(lk._is_owned())
        lk.acquire()
        self.assertTrue(lk._is_owned())
        self.assertIsNone(lk._release_save())
        self.assertFalse(lk.locked())
        lk._acquire_restore(None)
        self.assertTrue(lk.locked())
        lk._at_fork_reinit()        # shared: held as it was
        self.assertTrue(lk.locked())
        lk.release()

    def test_two_threads(self):
        for make in (M.RLock, M.Lock):
            lock = make()
            rlock = isinstance(lock, syncmgr.RLock)
            cond = threading.Condition(lock)
            box, res = [], []

            def consumer():
                with cond:
                    if rlock:
                        lock.acquire()      # depth 2, all released in wait
                    got = cond.wait_for(lambda: box, 30)
                    res.append((got, lock._recursion_count() if rlock
                                else lock.locked()))
                    if rlock:
                        lock.release()
            t = threading.Thread(target=consumer)
            t.start()
            spin(lambda: len(cond._waiters) == 1)
            with cond:
                box.append('item')
                cond.notify()
            t.join(30)
            self.assertEqual(res, [(['item'], 2 if rlock else True)], make)
            self.assertTrue(lock.acquire(False))
            lock.release()
            # wait() without the lock: RuntimeError, as threading's
            self.assertRaises(RuntimeError, cond.wait, 0.01)

    def test_across_processes(self):
        for method in ('fork', 'spawn'):
            ctx = mp.get_context(method)
            lock, d, ready = M.RLock(), M.dict(), M.Event()
            p = ctx.Process(target=cond_child, args=(lock, d, ready))
            p.start()
            try:
                self.assertTrue(ready.wait(60), method)
                # the child's Condition.wait released both of its levels
                self.assertTrue(lock.acquire(timeout=60), method)
                d['x'] = 1
                lock.release()
            finally:
                p.join(60)
            self.assertEqual(p.exitcode, 0, method)
            self.assertEqual((d['depth'], d['owned'], d['waits'] > 0),
                             (2, True, True), method)
            self.assertTrue(lock.acquire(False))
            self.assertEqual(lock._recursion_count(), 1)
            lock.release()

    def test_at_fork_reinit_keeps_the_shared_lock(self):
        lock, q = M.Lock(), M.Queue()
        lock.acquire()
        p = mp.get_context('fork').Process(target=reinit_child,
                                           args=(lock, q))
        p.start()
        self.assertEqual(q.get(timeout=60), (True, False))
        p.join(60)
        self.assertTrue(lock.locked())
        lock.release()


class RefRLock(threading._PyRLock):
    """threading's RLock in Python, with _recursion_count() where this
    3.11 lacks it (before 3.11.4: the guest's Debian python3)."""
    if not hasattr(threading._PyRLock, '_recursion_count'):
        def _recursion_count(self):
            return self._count if self._owner == threading.get_ident() else 0


def cond_child(lock, d, ready):
    cond = threading.Condition(lock)
    waits = 0
    with cond:
        lock.acquire()
        ready.set()
        while d.get('x') != 1:
            cond.wait(0.05)
            waits += 1
        d['depth'] = lock._recursion_count()
        d['owned'] = lock._is_owned()
        d['waits'] = waits
        lock.release()


def reinit_child(lock, q):
    cond = threading.Condition(lock)
    cond._at_fork_reinit()
    q.put((lock.locked(), lock.acquire(False)))


class Copies(unittest.TestCase):
    """_getvalue() and copy.deepcopy() give a local copy, of the types the
    manager's proxies give; copy.copy() another handle of the same object
    (the manager's copy.copy gives another proxy of the same referent)."""

    def test_getvalue_and_deepcopy(self):
        d = M.dict(a=1, b=[1, 2])
        li = M.list([1, 'x', (2,)])
        ns = M.Namespace(b=2, a='one')
        v = M.Value('i', 7)
        a = M.Array('d', [0.5, 1.5])
        for obj, want, cls in ((d, {'a': 1, 'b': [1, 2]}, dict),
                               (li, [1, 'x', (2,)], list),
                               (v, None, managers.Value),
                               (a, array.array('d', [0.5, 1.5]), array.array),
                               (ns, None, managers.Namespace)):
            for local in (obj._getvalue(), copy.deepcopy(obj)):
                self.assertIs(type(local), cls)
                if want is not None:
                    self.assertEqual(local, want)
        self.assertEqual(repr(ns._getvalue()), "Namespace(a='one', b=2)")
        self.assertEqual(repr(v._getvalue()), "Value('i', 7)")
        got = copy.deepcopy(d)
        got['a'] = 2                 # local: the shared dict is unchanged
        self.assertEqual(d['a'], 1)
        # deepcopy of a structure holding proxies: local copies inside
        self.assertEqual(copy.deepcopy({'d': d, 'l': li}),
                         {'d': {'a': 1, 'b': [1, 2]}, 'l': [1, 'x', (2,)]})

    def test_copy_is_another_handle(self):
        for obj in (M.dict(a=1), M.list([1]), M.Namespace(a=1)):
            other = copy.copy(obj)
            self.assertIs(type(other), type(obj))
            self.assertEqual(sm_id(other), sm_id(obj))
            self.assertNotEqual(syncmgr.SyncObject.fileno(other),
                                syncmgr.SyncObject.fileno(obj))
            if isinstance(obj, syncmgr.Namespace):
                other.a = 2
                self.assertEqual(obj.a, 2)
            elif isinstance(obj, syncmgr.List):
                other.append(2)
                self.assertEqual(obj[:], [1, 2])
            else:
                other['a'] = 2
                self.assertEqual(obj['a'], 2)


class NamespaceNames(unittest.TestCase):
    def test_method_names_are_data(self):
        ns = M.Namespace()
        own = [n for n in dir(syncmgr.Namespace) if not n.startswith('_')]
        self.assertTrue({'close', 'fileno', 'sm_id'} <= set(own), own)
        for n in own + ['keys', 'get', 'value']:
            self.assertFalse(hasattr(ns, n), n)   # as the manager's proxy
            self.assertRaises(AttributeError, getattr, ns, n)
        for k, n in enumerate(own):
            setattr(ns, n, k)
        ns.close = 1
        self.assertEqual(ns.close, 1)
        for k, n in enumerate(own):
            if n != 'close':
                self.assertEqual(getattr(ns, n), k, n)
        del ns.fileno
        self.assertRaises(AttributeError, getattr, ns, 'fileno')
        # a handle's own calls through the class; identity still works
        self.assertGreater(syncmgr.SyncObject.fileno(ns), 2)
        other = copy.copy(ns)
        self.assertEqual(other, ns)
        self.assertEqual(hash(other), hash(ns))
        self.assertEqual(other.close, 1)
        syncmgr.SyncObject.close(other)
        # another process sees them as data too
        q = M.Queue()
        p = mp.get_context('spawn').Process(target=ns_child, args=(ns, q))
        p.start()
        self.assertEqual(q.get(timeout=60), (1, 'set there'))
        p.join(60)
        self.assertEqual(ns.fileno, 'set there')

    def test_repr_sorted(self):
        ns = M.Namespace(zeta=1)
        ns.b = 'two'
        ns.close = None
        ns.a = [1]
        ns._local = 5
        ref = managers.Namespace(zeta=1, b='two', close=None, a=[1])
        self.assertEqual(repr(ns), repr(ref))
        self.assertEqual(repr(ns), "Namespace(a=[1], b='two', close=None, "
                         "zeta=1)")
        self.assertEqual(str(ns), repr(ns))


def ns_child(ns, q):
    ns.fileno = 'set there'
    q.put((ns.close, ns.fileno))


def boom():
    raise KeyError('boom')


class BarrierActions(unittest.TestCase):
    def test_action_outlives_its_handle(self):
        # in a child: before, the action's C callback was freed with the
        # handle that registered it, and another handle then called it
        q = M.Queue()
        p = mp.get_context('fork').Process(target=gc_child, args=(q,))
        p.start()
        self.assertEqual(q.get(timeout=60), [1])
        p.join(60)
        self.assertEqual(p.exitcode, 0)

    def test_action_freed_with_the_last_handle(self):
        b = M.Barrier(1, action=lambda: None)
        b2 = copy.copy(b)
        ident = sm_id(b)
        self.assertIn(ident, _sync._actions)
        del b
        gc.collect()
        self.assertIn(ident, _sync._actions)
        self.assertEqual(b2.wait(), 0)
        del b2
        gc.collect()
        self.assertNotIn(ident, _sync._actions)

    def test_exception_reaches_the_runner(self):
        # the last party runs the action, through whichever handle it
        # waits on: it gets the exception, the others BrokenBarrierError
        for last in (0, 1):
            b = M.Barrier(2, action=boom)
            d = M.dict(b=b)
            handles = [b, d['b']]   # the second: no action of its own
            res = {}

            def wait(k):
                res[k] = outcome(handles[k].wait, 30)
            t = threading.Thread(target=wait, args=(1 - last,))
            t.start()
            spin(lambda: b.n_waiting == 1)
            wait(last)
            t.join()
            self.assertEqual(res, {last: ('exc', KeyError),
                                   1 - last: ('exc',
                                              threading.BrokenBarrierError)})
            self.assertTrue(b.broken)
            for h in handles:   # nothing left over for a later wait
                self.assertRaises(threading.BrokenBarrierError, h.wait, 0.01)

    def test_exception_in_another_process(self):
        for method in ('fork', 'spawn'):
            b, q = M.Barrier(2, action=boom), M.Queue()
            p = mp.get_context(method).Process(target=last_party,
                                               args=(b, q))
            p.start()
            self.assertRaises(threading.BrokenBarrierError, b.wait, 60)
            self.assertEqual(q.get(timeout=60), 'KeyError', method)
            p.join(60)
            self.assertTrue(b.broken)


def gc_child(q):
    ran = []
    b = syncmgr.Barrier(2, action=lambda: ran.append(1))
    d = syncmgr.Dict(b=b)
    b2 = d['b']                  # another handle, received without action
    del b, d
    gc.collect()
    t = threading.Thread(target=b2.wait, args=(30,))
    t.start()
    b2.wait(30)
    t.join()
    q.put(ran)


def last_party(b, q):
    spin(lambda: b.n_waiting == 1, 60)
    q.put(outcome(b.wait, 60)[1].__name__)


class Bomb:
    """Pickles, but does not unpickle."""

    def __reduce__(self):
        return explode, ()


def explode():
    raise ValueError('this value does not unpickle')


class FdLeaks(unittest.TestCase):
    """A page of values that fails to decode halfway: every handle fd that
    came out is closed or owned by an object."""

    def check_no_leak(self, fn, exc=ValueError):
        gc.collect()
        before = nfds()
        for _ in range(3):
            self.assertRaises(exc, fn)
        gc.collect()
        self.assertEqual(nfds(), before)

    def test_list_and_dict_pages(self):
        held = [M.Lock(), M.Event(), M.Lock(), M.Queue()]
        li = M.list([held[0], Bomb(), held[1], held[2], M.dict(), held[3]])
        for fn in (lambda: li[:], li.copy, lambda: li._getvalue(),
                   lambda: list(li), lambda: li[::-1], lambda: li[1:4]):
            self.check_no_leak(fn)
        self.check_no_leak(lambda: li[1])
        d = M.dict()
        d['a'] = held[0]
        d['bomb'] = Bomb()
        for k in range(5):
            d[k] = M.Event()
        d[Bomb()] = held[1]
        for fn in (d.items, d.values, d.keys, d.copy, lambda: d._getvalue(),
                   lambda: repr(d)):
            self.check_no_leak(fn)
        # the objects themselves are untouched
        self.assertTrue(held[0].acquire(False))
        held[0].release()
        self.assertIsInstance(li[0], syncmgr.Lock)
        self.assertEqual(li[2], held[1])

    def test_popitem(self):
        d = M.dict()
        before = nfds()
        for _ in range(3):
            d[Bomb()] = M.Lock()    # the key fails, the value is a handle
            self.assertRaises(ValueError, d.popitem)
        gc.collect()
        self.assertEqual(nfds(), before)
        self.assertEqual(len(d), 0)


NO_DEVICE = '''
import errno, syncmgr
makers = [syncmgr.Lock, syncmgr.RLock, syncmgr.Semaphore,
          syncmgr.BoundedSemaphore, syncmgr.Event, syncmgr.Condition,
          lambda: syncmgr.Barrier(2, lambda: 0), syncmgr.Queue,
          lambda: syncmgr.Value('i', 1), lambda: syncmgr.Array('i', [1]),
          syncmgr.Dict, syncmgr.List, syncmgr.Namespace,
          lambda: syncmgr.Manager().Lock()]
for make in makers:
    try:
        make()
        print('created')
    except OSError as e:
        print(type(e).__name__, e.errno == errno.ENOENT,
              'modprobe syncmgr' in str(e), '/dev/syncmgr' in str(e))
'''


class NoDevice(unittest.TestCase):
    def test_says_to_load_the_module(self):
        cmd = [sys.executable, '-c', NO_DEVICE]
        if os.path.exists('/dev/syncmgr'):
            # hide it: a private mount namespace with an empty /dev
            if os.geteuid() != 0 or not shutil.which('unshare'):
                self.skipTest('/dev/syncmgr exists; hiding it needs root '
                              'and unshare')
            cmd = ['unshare', '--mount', '--propagation', 'private', 'sh',
                   '-c', 'mount -t tmpfs none /dev && exec "$@"', 'sh'] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(lines, ['FileNotFoundError True True True'] * 14,
                         out.stdout + out.stderr)


if __name__ == '__main__':
    unittest.main()
