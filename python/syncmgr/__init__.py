"""syncmgr: multiprocessing.Manager()'s shared objects, in the kernel.

    import syncmgr
    with syncmgr.Manager() as m:
        lock, d = m.Lock(), m.dict()

Every object is a handle (an fd) to a kernel object of /dev/syncmgr; there
is no server process.  See python/README.md.
"""
from ._lib import raise_nofile_limit as _raise_nofile_limit
from ._base import SyncObject
from ._sync import (Lock, RLock, Semaphore, BoundedSemaphore, Event,
                    Condition, Barrier, OwnerDiedWarning)
from ._data import (Queue, JoinableQueue, Value, Array, Dict, List,
                    Namespace)
from ._manager import SyncManager, Manager
from ._share import send, recv

__all__ = ['Manager', 'SyncManager', 'SyncObject', 'Lock', 'RLock',
           'Semaphore', 'BoundedSemaphore', 'Event', 'Condition', 'Barrier',
           'Queue', 'JoinableQueue', 'Value', 'Array', 'Dict', 'List',
           'Namespace', 'OwnerDiedWarning', 'send', 'recv']
__version__ = '0.1.0'

# One fd per object: a program with thousands of objects passes the usual
# soft RLIMIT_NOFILE of 1024.  The soft limit is raised to the hard limit
# when syncmgr is imported (set SYNCMGR_KEEP_NOFILE=1 to keep it).
import os as _os
if not _os.environ.get('SYNCMGR_KEEP_NOFILE'):
    _raise_nofile_limit()

# Issue 13: names, waiting on many objects, held references.
from ._named import open, unlink                       # noqa: E402
from ._wait import wait_any, wait_all                  # noqa: E402
from ._base import set_reference_hold                  # noqa: E402
__all__ += ['open', 'unlink', 'wait_any', 'wait_all', 'set_reference_hold']
