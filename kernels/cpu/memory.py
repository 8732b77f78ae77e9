"""The CPU side of the host/device contract: arrays already live on the host."""

import numpy as np

from kernels import workspace


class Workspace(workspace.Workspace):
    """Host buffers for the kernels' out= argument (kernels/workspace.py): NumPy arrays."""

    def __init__(self):
        super().__init__(np.empty)


def buffer(out, name, shape, dtype):
    """A kernel's result or temporary: from the workspace `out`, or a fresh array when out is None."""
    return workspace.buffer(out, name, shape, dtype, np.empty)


def to_device(a):
    return np.ascontiguousarray(a)


def to_host(a):
    return np.asarray(a)


def zeros_like(a):
    return np.zeros_like(a)


def concat_rows(a, b, out=None):
    """[a; b] along the first axis (the D step's real-then-fake batch)."""
    rows = buffer(out, "concat_rows", (a.shape[0] + b.shape[0],) + tuple(a.shape[1:]), a.dtype)
    return np.concatenate([a, b], out=rows)


def copy_into(dst, src):
    """Overwrite dst's contents with the host array src, in place (references stay valid)."""
    dst[...] = src
