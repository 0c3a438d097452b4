"""Manager(): SyncManager's methods, creating kernel objects directly."""
from . import _sync, _data

__all__ = ['SyncManager', 'Manager']


class SyncManager:
    """multiprocessing.managers.SyncManager's interface without a server:
    start(), shutdown(), join() and connect() are accepted and do nothing
    (the objects live in the kernel while any process holds them, not as
    long as the manager).  register() and remote managers (address,
    authkey) are not supported."""

    def __init__(self, address=None, authkey=None, serializer='pickle',
                 ctx=None, *, shutdown_timeout=1.0):
        if address is not None:
            raise NotImplementedError('syncmgr has no remote managers')
        self._state = 'initial'
        self.address = None

    def start(self, initializer=None, initargs=()):
        if initializer is not None:
            initializer(*initargs)
        self._state = 'started'

    def connect(self):
        self._state = 'started'

    def shutdown(self):
        self._state = 'shutdown'

    def join(self, timeout=None):
        pass

    def get_server(self):
        raise NotImplementedError('syncmgr has no server process')

    @classmethod
    def register(cls, *args, **kw):
        raise NotImplementedError('syncmgr.Manager does not support '
                                  'register() (a later phase)')

    def __enter__(self):
        if self._state == 'initial':
            self.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()

    # the SyncManager methods, with its signatures
    def Barrier(self, parties, action=None, timeout=None):
        return _sync.Barrier(parties, action, timeout)

    def BoundedSemaphore(self, value=1):
        return _sync.BoundedSemaphore(value)

    def Condition(self, lock=None):
        return _sync.Condition(lock)

    def Event(self):
        return _sync.Event()

    def Lock(self):
        return _sync.Lock()

    def Namespace(self, **kw):
        return _data.Namespace(**kw)

    def Queue(self, maxsize=0):
        return _data.Queue(maxsize)

    def JoinableQueue(self, maxsize=0):
        return _data.JoinableQueue(maxsize)

    def RLock(self):
        return _sync.RLock()

    def Semaphore(self, value=1):
        return _sync.Semaphore(value)

    def Array(self, typecode, sequence, lock=True):
        return _data.Array(typecode, sequence)

    def Value(self, typecode, value, lock=True):
        return _data.Value(typecode, value)

    def dict(self, *args, **kw):
        return _data.Dict(*args, **kw)

    def list(self, sequence=()):
        return _data.List(sequence)

    def Pool(self, processes=None, initializer=None, initargs=(),
             maxtasksperchild=None):
        """A plain multiprocessing.Pool (not a shared object)."""
        import multiprocessing
        return multiprocessing.Pool(processes, initializer, initargs,
                                    maxtasksperchild)


def Manager(ctx=None):
    """As multiprocessing.Manager(): a started SyncManager."""
    m = SyncManager(ctx=ctx)
    m.start()
    return m
