"""A tiny PEP 517 build backend for the syncmgr package, standard library
only, so that `pip install ./python` works offline on an interpreter that
has neither `wheel` nor a package index: a pure-Python wheel is a zip of the
package plus a .dist-info (METADATA, WHEEL, RECORD)."""
import base64
import hashlib
import io
import os
import tarfile
import zipfile

NAME = 'syncmgr'
VERSION = '0.1.0'
SUMMARY = ("multiprocessing.Manager()'s shared objects in the kernel "
           "(/dev/syncmgr), over libsync through ctypes")
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIST = '%s-%s' % (NAME, VERSION)
INFO = DIST + '.dist-info'
METADATA = ('Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\n'
            'License: LGPL-2.1-or-later\nRequires-Python: >=3.8\n'
            % (NAME, VERSION, SUMMARY))
WHEEL = ('Wheel-Version: 1.0\nGenerator: syncmgr _build/backend.py\n'
         'Root-Is-Purelib: true\nTag: py3-none-any\n')


def _package_files():
    pkg = os.path.join(HERE, NAME)
    return sorted(f for f in os.listdir(pkg) if f.endswith('.py'))


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    d = os.path.join(metadata_directory, INFO)
    os.makedirs(d, exist_ok=True)
    for name, text in (('METADATA', METADATA), ('WHEEL', WHEEL)):
        with open(os.path.join(d, name), 'w') as f:
            f.write(text)
    return INFO


def _record_line(arc, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return '%s,sha256=%s,%d' % (arc, digest.rstrip(b'=').decode(), len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    name = DIST + '-py3-none-any.whl'
    files = []
    for f in _package_files():
        with open(os.path.join(HERE, NAME, f), 'rb') as fh:
            files.append(('%s/%s' % (NAME, f), fh.read()))
    files += [(INFO + '/METADATA', METADATA.encode()),
              (INFO + '/WHEEL', WHEEL.encode())]
    record = [_record_line(a, d) for a, d in files] + [INFO + '/RECORD,,']
    files.append((INFO + '/RECORD', ('\n'.join(record) + '\n').encode()))
    with zipfile.ZipFile(os.path.join(wheel_directory, name), 'w',
                         zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            z.writestr(zipfile.ZipInfo(arc, (2020, 1, 1, 0, 0, 0)), data,
                       zipfile.ZIP_DEFLATED)
    return name


def build_sdist(sdist_directory, config_settings=None):
    name = DIST + '.tar.gz'
    with tarfile.open(os.path.join(sdist_directory, name), 'w:gz') as t:
        paths = ['pyproject.toml', '_build/backend.py'] + [
            '%s/%s' % (NAME, f) for f in _package_files()]
        for p in paths:
            t.add(os.path.join(HERE, p), '%s/%s' % (DIST, p))
        info = tarfile.TarInfo(DIST + '/PKG-INFO')
        data = METADATA.encode()
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return name
