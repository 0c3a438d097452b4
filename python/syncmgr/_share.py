"""Passing syncmgr objects over a connected Unix socket (SCM_RIGHTS)."""
import ctypes
import pickle
import socket

from ._base import SyncObject, from_fd

__all__ = ['send', 'recv']


def send(sock, obj):
    """Send a syncmgr object over a connected AF_UNIX socket: the receiver's
    recv() gets the same object (a new fd), with no lifetime condition."""
    if not isinstance(obj, SyncObject):
        raise TypeError('send() takes a syncmgr object')
    extra = pickle.dumps((type(obj), obj._extra()))
    socket.send_fds(sock, [len(extra).to_bytes(4, 'little') + extra],
                    [obj._fd])


def recv(sock):
    """Receive one object sent by send()."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 1)
    if not fds:
        raise ConnectionError('no syncmgr object received')
    n = int.from_bytes(data[:4], 'little')
    cls, extra = pickle.loads(data[4:4 + n])
    return from_fd(fds[0], extra, cls)
