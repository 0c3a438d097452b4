"""The Python package's copy of the C ABI, checked against the C headers.

python/syncmgr/_lib.py mirrors constants and structures of libsync's
<syncmgr.h> and the uapi <linux/syncmgr.h> by hand (an installed package
has no headers to read).  These tests compare each of them with what the C
compiler makes of the headers: python/tests/abi_probe.c prints that, built
by `make tests` as tests/bin/python/abi_probe (on the host, when it is
missing or older than its sources, the test compiles it with $CC or cc into
a temporary directory).  A failure names every constant or field that
differs.  No /dev/syncmgr needed: `python3 python/tests/run.py test_abi` on
the host after `make lib` runs them too.
"""
import ctypes
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import syncmgr  # noqa: F401  (registers every object class)
from syncmgr import _base, _lib

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
PROBE = os.path.join(TOP, 'tests', 'bin', 'python', 'abi_probe')
SOURCE = os.path.join(HERE, 'abi_probe.c')
UAPI = os.path.join(TOP, 'uapi', 'linux', 'syncmgr.h')
LIBSYNC_H = os.path.join(TOP, 'libsync', 'include', 'syncmgr.h')

# The Python names that mirror a C constant (see _lib.py's "the C ABI").
MIRRORED = re.compile(r'^(SM|TYPE|VAL|STATE|DATA|DICT|TOKEN)_[A-Z0-9_]+$')
# ctypes structure -> the C structure it mirrors
STRUCTS = [(_lib.SmValue, 'sm_value'), (_lib.SmBuf, 'sm_buf'),
           (_lib.SmSlice, 'sm_slice'), (_lib.SmState, 'syncmgr_state'),
           (_lib.SmData, 'syncmgr_data'), (_lib.SmVersion, 'syncmgr_version')]
# the enums every value of which the Python side must know
ENUMS = [('syncmgr_type', 'SYNCMGR_'), ('syncmgr_value_type', 'SYNCMGR_')]


def rel(path):
    return os.path.relpath(path, TOP)


def c_name(py):
    """The C constant a _lib.py constant mirrors."""
    if py.startswith('SM_'):
        return py
    if py.startswith('DICT_'):
        return 'SM_' + py
    return 'SYNCMGR_' + py


def run_probe():
    """abi_probe's output as (consts, structs, fields) dicts."""
    sources = [SOURCE, UAPI, LIBSYNC_H]
    if (os.path.exists(PROBE) and all(os.path.getmtime(PROBE) >=
                                      os.path.getmtime(f) for f in sources)):
        out = subprocess.run([PROBE], check=True, stdout=subprocess.PIPE,
                             universal_newlines=True).stdout
    elif os.environ.get('SYNCMGR_GUEST'):
        raise AssertionError('%s is missing or older than its sources (%s): '
                             'run `make tests` on the host' %
                             (rel(PROBE), ', '.join(map(rel, sources))))
    else:
        cc = os.environ.get('CC') or 'cc'
        if not shutil.which(cc):
            raise AssertionError('%s is missing or out of date and there is '
                                 'no C compiler (%s) to build it: run `make '
                                 'tests`' % (rel(PROBE), cc))
        with tempfile.TemporaryDirectory() as tmp:
            exe = os.path.join(tmp, 'abi_probe')
            subprocess.run([cc, '-I' + os.path.join(TOP, 'uapi'),
                            '-I' + os.path.join(TOP, 'libsync', 'include'),
                            '-Wall', '-Wextra', '-Werror', '-o', exe, SOURCE],
                           check=True)
            out = subprocess.run([exe], check=True, stdout=subprocess.PIPE,
                                 universal_newlines=True).stdout
    consts, structs, fields = {}, {}, {}
    for line in out.splitlines():
        w = line.split()
        if w[0] == 'const':
            consts[w[1]] = int(w[2])
        elif w[0] == 'struct':
            structs[w[1]] = int(w[2])
        elif w[0] == 'field':
            fields[w[1]] = (int(w[2]), int(w[3]), w[4])
    return consts, structs, fields


_probe = None


def probe():
    global _probe
    if _probe is None:
        _probe = run_probe()
    return _probe


def kind(ctype):
    """abi_probe's KIND of a ctypes type, and its (element) size."""
    if issubclass(ctype, ctypes.Array):
        k, size = kind(ctype._type_)
        return '%sx%d' % (k, ctype._length_), size
    code = getattr(ctype, '_type_', None)
    if not isinstance(code, str):
        k = '?'
    elif code in 'bhilq':
        k = 'i'
    elif code in 'BHILQ':
        k = 'u'
    elif code in 'fdg':
        k = 'f'
    elif code in 'Pzs':
        k = 'p'
    else:
        k = '?'
    return k, ctypes.sizeof(ctype)


def layout(cls, prefix='', base=0):
    """{'buf.len': (offset, size, kind)} of a ctypes structure or union,
    members of anonymous ones under their own names, as in C."""
    res = {}
    anonymous = getattr(cls, '_anonymous_', ())
    for name, ctype in cls._fields_:
        off = base + getattr(cls, name).offset
        if name not in anonymous:
            k, size = kind(ctype)
            res[prefix + name] = (off, size, k)
        if isinstance(ctype, type) and issubclass(
                ctype, (ctypes.Structure, ctypes.Union)):
            sub = prefix if name in anonymous else prefix + name + '.'
            res.update(layout(ctype, sub, off))
    return res


def python_constants():
    return {k: v for k, v in vars(_lib).items()
            if MIRRORED.match(k) and type(v) is int}


class TestConstants(unittest.TestCase):
    def test_values_match_the_headers(self):
        consts = probe()[0]
        bad = []
        for py, value in sorted(python_constants().items()):
            if py == 'TOKEN_SIZE':
                continue    # a size: test_token_size
            c = c_name(py)
            if c not in consts:
                bad.append('%s mirrors %s, which abi_probe does not print: '
                           'add CONST(%s) to %s' % (py, c, c, rel(SOURCE)))
            elif consts[c] != value:
                bad.append('%s = %d in python/syncmgr/_lib.py, but %s = %d '
                           'in the C headers' % (py, value, c, consts[c]))
        if bad:
            self.fail('\n'.join(bad))

    def test_every_enum_value_is_mirrored(self):
        with open(UAPI) as f:
            text = re.sub(r'/\*.*?\*/', '', f.read(), flags=re.S)
        py = python_constants()
        bad = []
        for enum, prefix in ENUMS:
            m = re.search(r'\benum\s+%s\s*\{(.*?)\}' % enum, text, re.S)
            self.assertIsNotNone(m, 'no enum %s in %s' % (enum, rel(UAPI)))
            for c in re.findall(r'\b(SYNCMGR_\w+)\s*=', m.group(1)):
                if c[len(prefix):] not in py:
                    bad.append('enum %s in %s has %s, which python/syncmgr/'
                               '_lib.py does not mirror (as %s)'
                               % (enum, rel(UAPI), c, c[len(prefix):]))
        if bad:
            self.fail('\n'.join(bad))

    def test_every_type_has_a_class(self):
        types = {v: k for k, v in python_constants().items()
                 if k.startswith('TYPE_')}
        bad = ['%s (%d) has no class registered' % (types[t], t)
               for t in sorted(set(types) - set(_base._CLASSES))]
        bad += ['%s is registered for type %d, which no TYPE_* names'
                % (_base._CLASSES[t].__name__, t)
                for t in sorted(set(_base._CLASSES) - set(types))]
        if bad:
            self.fail('\n'.join(bad))

    def test_token_size(self):
        off, size, k = probe()[2]['syncmgr_token.token']
        count = int(k.partition('x')[2] or 1)
        self.assertEqual(_lib.TOKEN_SIZE, size * count,
                         'TOKEN_SIZE is not sizeof(struct syncmgr_token.token)')


class TestStructures(unittest.TestCase):
    def test_layouts_match_the_headers(self):
        _, structs, fields = probe()
        bad = []
        for cls, cname in STRUCTS:
            if ctypes.sizeof(cls) != structs[cname]:
                bad.append('sizeof(%s) = %d, but sizeof(struct %s) = %d'
                           % (cls.__name__, ctypes.sizeof(cls), cname,
                              structs[cname]))
            py = layout(cls)
            c = {k.partition('.')[2]: v for k, v in fields.items()
                 if k.partition('.')[0] == cname}
            for name in sorted(set(py) | set(c)):
                if name not in c:
                    bad.append('%s.%s: abi_probe does not print struct %s\'s '
                               '%s: add it to %s'
                               % (cls.__name__, name, cname, name,
                                  rel(SOURCE)))
                elif name not in py:
                    bad.append('struct %s has %s, which %s does not declare'
                               % (cname, name, cls.__name__))
                elif py[name] != c[name]:
                    bad.append('%s.%s is (offset, size, kind) %r, but struct '
                               '%s\'s %s is %r' % (cls.__name__, name,
                                                   py[name], cname, name,
                                                   c[name]))
        if bad:
            self.fail('\n'.join(bad))

    def test_fast_path_layout(self):
        """Scratch packs values with struct formats of its own when the
        layout is the usual one (_FAST): it must be on for the headers'
        layout, and what it packs must read back through ctypes."""
        _, structs, fields = probe()
        usual = (structs['sm_value'] == 24 and
                 fields['sm_value.b'][0] == 8 and
                 fields['sm_value.buf.ptr'][:2] == (8, 8) and
                 fields['sm_value.buf.len'][0] == 16)
        self.assertEqual(usual, _lib._FAST)
        if not _lib._FAST:
            return
        for obj in (None, False, True, 0, -1, 2 ** 63 - 1, -2 ** 63, 1.5,
                    '', 'x\u00e9', b'\x00\xff', [1, 'two']):
            s = _lib.Scratch()
            s.put(obj, _lib.IN0)
            for got in (_lib.decode(s.vals[0]), s.get(_lib.IN0)):
                self.assertEqual((type(obj), obj), (type(got), got))


if __name__ == '__main__':
    unittest.main()
