"""Caller-owned buffers, as llm.c keeps its activations: allocated once, reused every step.

A kernel called with ``out=None`` allocates its result and its temporaries afresh, which
is what a student calls and what a test compares. Called with ``out=workspace``, it takes
each of them from the workspace instead, by a name the kernel gives it ("dense.y",
"conv2d.dcols", ...) and the shape and dtype of this call:

    ws = kernels.cpu.Workspace()          (kernels.cuda.Workspace(): device arrays)
    y = dense_forward(x, w, b, out=ws)    first call: ws allocates "dense.y" (N, O)
    y = dense_forward(x, w, b, out=ws)    later calls: the same array, overwritten

So a training step that hands every kernel its layer's workspace allocates nothing once
the first step has run (tests/test_workspace.py measures it). The price is the llm.c
contract: what a kernel returns lives in the workspace and is overwritten by that
workspace's next call with the same name and shape, so a caller that keeps a result
longer copies it. One workspace per layer keeps the names apart; a layer run at two batch
sizes (D at 2B in its own step, at B in G's) gets two sets of buffers, one per shape.
"""

import numpy as np


class Workspace:
    """Named buffers of one owner (a layer), allocated with `empty(shape, dtype)` on first use."""

    def __init__(self, empty):
        self.empty = empty
        self.arrays = {}

    def array(self, name, shape, dtype):
        """The buffer `name` of this shape and dtype: the same array on every call, contents
        as the last user left them (a kernel that needs zeros writes them)."""
        key = (name, tuple(int(n) for n in shape), np.dtype(dtype))
        a = self.arrays.get(key)
        if a is None:
            a = self.arrays[key] = self.empty(key[1], key[2])
        return a

    def nbytes(self):
        """The bytes held, every buffer together."""
        return sum(int(a.size) * a.dtype.itemsize for a in self.arrays.values())


def buffer(out, name, shape, dtype, empty):
    """A kernel's result or temporary: from the workspace `out` if given, else a fresh `empty` array."""
    return empty(tuple(shape), np.dtype(dtype)) if out is None else out.array(name, shape, dtype)
