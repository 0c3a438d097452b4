# pip install ./python  (standard library only; libsync.so.1 from `make install`)
from setuptools import setup

setup(
    name='syncmgr',
    version='0.1.0',
    description="multiprocessing.Manager()'s shared objects in the kernel "
                '(/dev/syncmgr), over libsync through ctypes',
    license='LGPL-2.1-or-later',
    packages=['syncmgr'],
    python_requires='>=3.8',
)
