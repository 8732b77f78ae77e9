"""Launch geometry and host/device helpers shared by the CUDA kernels."""

import numpy as np
from numba import config, cuda

THREADS_1D = 128  # threads per block for elementwise and one-thread-per-output kernels
# The tiled GEMM's square tile: TILE x TILE threads per block. The simulator runs one OS
# thread per CUDA thread, so there a 4x4 tile keeps the tests fast; the code is the same.
TILE = 4 if config.ENABLE_CUDASIM else 16
if config.ENABLE_CUDASIM:
    from kernels.cuda.simulator import prepare

    prepare()


def grid_1d(n):
    """(blocks, threads) covering n elements with THREADS_1D threads per block."""
    return (max((n + THREADS_1D - 1) // THREADS_1D, 1),), (THREADS_1D,)


def device_empty(shape, dtype):
    return cuda.device_array(shape, dtype=np.dtype(dtype))


def flat(a):
    """A 1-D view of a C-contiguous device array (elementwise kernels walk it flat)."""
    return a.reshape(a.size)


def elementwise(kernel, result, *arrays_and_scalars):
    """Launch a one-thread-per-element kernel over flat views of the arrays (scalars pass as
    they are), writing the array `result` -> result."""
    args = [flat(a) if hasattr(a, "shape") else a for a in arrays_and_scalars]
    blocks, threads = grid_1d(result.size)
    kernel[blocks, threads](*args, flat(result))
    return result
