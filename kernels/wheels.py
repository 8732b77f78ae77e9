"""Shared libraries that pip wheels put in the environment's ``lib/`` folder: the mkl wheel's
libmkl_rt and the libtbb of the tbb wheel that mkl depends on. They are found through the
wheel's own file list, because in a virtual environment the dynamic loader does not search
that folder (it is on no loader path, and only an interpreter built with it as its run path
finds it)."""

import ctypes
import os
from importlib.metadata import PackageNotFoundError, files


def wheel_library(package, name):
    """The real path of the installed `package` wheel's file whose name starts with `name`
    (the first in sorted order), or None when the wheel is not installed or lacks it."""
    try:
        found = [f for f in files(package) or () if f.name.startswith(name)]
    except PackageNotFoundError:
        return None
    paths = [os.path.realpath(f.locate()) for f in found]
    paths = [path for path in paths if os.path.exists(path)]
    return sorted(paths)[0] if paths else None


def load_tbb():
    """Load the tbb wheel's libtbb.so.12, so that Numba's TBB layer finds it when it starts its
    threads: Numba asks the loader for the library by that name, and the loader takes the copy
    already in the process. Without this, Numba in a virtual environment falls back to OpenMP.
    -> the library's path, or None where the tbb wheel is not installed."""
    path = wheel_library("tbb", "libtbb.so.12")
    if path is not None:
        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    return path
