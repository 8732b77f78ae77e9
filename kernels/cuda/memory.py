"""Moving arrays between host and device, and the few array utilities the trainer needs."""

import numpy as np
from numba import cuda

from kernels import workspace
from kernels.checks import require_same_dtype
from kernels.cuda.launch import device_empty, grid_1d


class Workspace(workspace.Workspace):
    """Device buffers for the kernels' out= argument (kernels/workspace.py)."""

    def __init__(self):
        super().__init__(device_empty)


def buffer(out, name, shape, dtype):
    """A kernel's result or temporary: from the workspace `out`, or a fresh device array when out is None."""
    return workspace.buffer(out, name, shape, dtype, device_empty)


def to_device(a):
    return cuda.to_device(np.ascontiguousarray(a))


def to_host(a):
    return a.copy_to_host()


def zeros_like(a):
    return cuda.to_device(np.zeros(a.shape, dtype=a.dtype))


@cuda.jit
def _concat_rows(a, b, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] if i < a.size else b[i - a.size]  # rows are contiguous: a's elements, then b's


def concat_rows(a, b, out=None):
    """[a; b] along the first axis (the D step's real-then-fake batch)."""
    require_same_dtype("concat_rows", a=a, b=b)
    rows = buffer(out, "concat_rows", (a.shape[0] + b.shape[0],) + tuple(a.shape[1:]), a.dtype)
    blocks, threads = grid_1d(rows.size)
    _concat_rows[blocks, threads](a.reshape(a.size), b.reshape(b.size), rows.reshape(rows.size))
    return rows


def copy_into(dst, src):
    """Overwrite device array dst with the host array src, in place (references stay valid)."""
    dst.copy_to_device(np.ascontiguousarray(src, dtype=dst.dtype))
