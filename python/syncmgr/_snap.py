"""Consistent snapshots of a dict, Namespace or list, and the conditional
replace a sort with a key function needs (Documentation/abi.md, "Versions:
consistent pages, conditional changes").

A read that takes one page is consistent by itself (one ioctl, under the
container's lock).  A longer one reads its pages through the raw data ioctl:
the first with SYNCMGR_DATA_VERSION, the next ones with IF_VERSION too, and
starts over on ESTALE; after RESTARTS restarts (heavy churn), or with a
module without versions, it reads a COPY of the container instead (a new
container no other process has: nothing changes it while it is read).
"""
import ctypes
import errno
import os

from . import _lib, _tree
from ._lib import SmData, data_ioctl, check

RESTARTS = 3
_ESTALE, _EMSGSIZE = -errno.ESTALE, -errno.EMSGSIZE
_V, _IFV = _lib.DATA_VERSION, _lib.DATA_IF_VERSION
_PAGE = 1 << 16         # bytes of the first out buffer


class _Out:
    """An out buffer of the raw ioctl, grown on EMSGSIZE."""
    __slots__ = ('buf', 'size')

    def __init__(self, size=_PAGE):
        self.buf = ctypes.create_string_buffer(size)
        self.size = size

    def call(self, fd, cmd, d):
        while True:
            d.out = ctypes.addressof(self.buf)
            d.out_size = self.size
            d.needed = 0
            ret = data_ioctl(fd, cmd, d)
            if ret == _EMSGSIZE and d.needed > self.size:
                self.size = max(d.needed, 2 * self.size)
                self.buf = ctypes.create_string_buffer(self.size)
                continue
            return ret

    def view(self):
        return memoryview(self.buf).cast('B')


def _close_values(mv, n):
    for fd in _tree.tree_fds(mv, n):
        try:
            os.close(fd)
        except OSError:
            pass


def _items(mv, n, raw):
    """n whole values at mv: objects, or (object, its bytes) with raw."""
    objs = _tree.unpack_all(mv, n)
    if not raw:
        return objs
    out, off = [], 0
    for o in objs:
        ln = _tree._unpack_Q(mv, off)[2]
        end = off + 16 + ((ln + 7) & ~7)
        out.append((o, bytes(mv[off:end])))
        off = end
    return out


# --- dict, Namespace ---------------------------------------------------------------
def dict_items(fd, what, stable=False):
    """The keys (what = DICT_KEYS), values or items (both: pairs) of the
    dict or Namespace fd, as one consistent snapshot (a list).  stable: nothing else can change fd (a copy)."""
    per = 2 if what == _lib.DICT_KEYS | _lib.DICT_VALUES else 1
    versions = _lib.has(_lib.FEAT_VERSION) and not stable
    out = _Out()
    for attempt in range(RESTARTS + 1 if versions else 1):
        res, d = [], SmData()
        d.flags = what | (_V if versions else 0)
        while True:
            ret = out.call(fd, _lib.IOC_ITER, d)
            if ret == _ESTALE:
                break
            check(ret, 'iter')
            vals = _items(out.view(), ret * per, False)
            res += zip(vals[::2], vals[1::2]) if per == 2 else vals
            if ret == 0 or d.cursor == 0:
                return res
            if stable:
                continue
            if not versions:
                break       # more than one page: read a copy
            d.flags = what | _V | _IFV
    return _copied(fd, lambda c: dict_items(c, what, True))


def _copied(fd, read):
    c = check(data_ioctl(fd, _lib.IOC_COPY, SmData()), 'copy')
    try:
        return read(c)
    finally:
        os.close(c)


# --- list --------------------------------------------------------------------------
def list_slice(fd, start, stop, step, flags, n, raw=False, version=False,
               stable=False):
    """lst[start:stop:step] (normalised by the kernel; flags NO_START /
    NO_STOP; n: how many values it holds, at most) as one consistent
    snapshot.  raw: (object, its ABI bytes) pairs.  version: also return
    the version read (None without versions)."""
    versions = _lib.has(_lib.FEAT_VERSION) and not stable
    out = _Out()
    for attempt in range(RESTARTS + 1 if versions else 1):
        res, d = [], SmData()
        d.flags = flags | (_V if versions else 0)
        d.start, d.stop, d.step = start, stop, step
        while True:
            ret = out.call(fd, _lib.IOC_LOOKUP, d)
            if ret == _ESTALE:
                break
            check(ret, 'getitem')
            res += _items(out.view(), ret, raw)
            if ret == 0 or len(res) >= n:
                return (res, d.version if versions else None) if version \
                    else res
            d.flags = flags & ~_lib.DATA_NO_START
            d.start = start + len(res) * step
            if stable:
                continue
            if not versions:
                break
            d.flags |= _V | _IFV
    if version and versions:
        # churn: no version to go with a copy; the caller retries
        return None, None
    res = _copied(fd, lambda c: list_slice(c, start, stop, step, flags, n,
                                           raw, stable=True))
    return (res, None) if version else res


def list_replace_if(fd, raws, ver):
    """lst[:] = the values whose ABI bytes are raws, only if the list's
    version is still ver: 0, or -ESTALE (nothing changed)."""
    data = b''.join(raws)
    space = ctypes.create_string_buffer(data, len(data)) if data else None
    d = SmData()
    setattr(d, 'in', ctypes.addressof(space) if data else 0)
    d.in_size = len(data)
    d.count = len(raws)
    d.step = 1
    d.flags = _lib.DATA_NO_START | _lib.DATA_NO_STOP | _IFV
    d.version = ver
    return data_ioctl(fd, _lib.IOC_ASSIGN, d)


# --- Array elements that need a payload ('u': a STR; 'Q'/'L' from 2**63 on:
# a BIGINT), which libsync's sm_array_get/get_slice have no buffer for ---
IOC_LOAD = _lib._iowr(0x28)


def array_load(fd, start, stop=0, step=0, flags=0, n=1):
    """a[start] (step 0), or the n elements of a[start:stop:step]."""
    out = _Out(max(64, 32 * n))
    res = []
    d = SmData()
    d.start, d.stop, d.step, d.flags = start, stop, step, flags
    while len(res) < n:
        ret = out.call(fd, IOC_LOAD, d)
        if ret < 0:
            return ret
        if ret == 0:
            break
        res += _tree.unpack_all(out.view(), ret)
        if not step:
            break
        d.start = start + len(res) * step
        d.flags &= ~_lib.DATA_NO_START
    return res


# --- a dict iterator's steps ---------------------------------------------------
def len_version(fd, d):
    """(len, version) of a dict, Namespace or list in one call (d: a
    SmData the caller keeps); the version is None without versions."""
    if not _lib.has(_lib.FEAT_VERSION):
        return data_ioctl(fd, _lib.IOC_LEN, d), None
    d.flags, d.version = _V, 0
    ret = data_ioctl(fd, _lib.IOC_LEN, d)
    return ret, d.version


def dict_page(fd, cursor, count, out):
    """A page of at most count keys after cursor: (keys, next cursor (0:
    the end), the version it was read at (None without versions))."""
    versions = _lib.has(_lib.FEAT_VERSION)
    d = SmData()
    d.flags = _lib.DICT_KEYS | (_V if versions else 0)
    d.cursor, d.count = cursor, count
    ret = out.call(fd, _lib.IOC_ITER, d)
    check(ret, 'iter')
    keys = _items(out.view(), ret, False)
    return keys, (d.cursor if ret else 0), (d.version if versions else None)
