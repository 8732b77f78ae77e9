"""What Numba's CUDA simulator needs to run these kernels quickly and right (CI runs every CUDA
kernel under it; a real GPU never imports this module).

The simulator runs each CUDA thread of a block as a Python thread, and its scheduler polls them
in a busy loop while they wait for the GIL, which Python hands over once per switch interval,
long next to a simulated thread's work. A short interval runs the same kernels several times
faster (docs/speed.md has the figures).

A short interval also exposes a race in the simulator itself: `cuda.shared.array` looks up the
block's array and creates it if missing, without a lock, so two threads of a block can each make
their own "shared" tile and the tiled GEMM then reads half-filled tiles (seen as a wrong product
about once in 150 launches). The lookup is made atomic here, which is what a GPU's shared memory
guarantees."""

import sys
import threading

import numpy as np
from numba.core import types
from numba.cuda.simulator.kernelapi import FakeCUDAShared
from numba.np import numpy_support

SWITCH_INTERVAL_S = 1e-5

_allocate = FakeCUDAShared.array
_allocation_lock = threading.Lock()


def _array_made_once_per_block(self, shape, dtype, alignment=None):
    """The simulator's own lookup (one array per block and source line), under a lock."""
    if shape == 0 or alignment is not None:  # dynamic shared memory is one buffer, made up front
        return _allocate(self, shape, dtype, alignment)
    if isinstance(dtype, types.Type):
        dtype = numpy_support.as_dtype(dtype)
    caller = sys._getframe(1)
    line = (caller.f_code.co_filename, caller.f_lineno)
    with _allocation_lock:
        if line not in self._allocations:
            self._allocations[line] = np.empty(shape, dtype)
        return self._allocations[line]


def prepare():
    FakeCUDAShared.array = _array_made_once_per_block
    sys.setswitchinterval(SWITCH_INTERVAL_S)
