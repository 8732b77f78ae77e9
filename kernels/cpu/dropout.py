"""Inverted dropout that draws its keep mask inside the kernel, from a counter-based generator
(kernels/counter_rng.py): no mask is drawn on the host or kept between the passes, since the
backward draws the forward's mask again from the same key.

    y  = x * keep / (1 - rate)        keep in {0, 1}, 1 with probability 1 - rate
    dx = dy * keep / (1 - rate)       (the forward is linear in x for a fixed mask)
Scaling by 1 / (1 - rate) at training time keeps E[y] = x, so inference uses y = x.

keep is a pure function of (key, the unit's place in the whole batch): unit i of row r of x
(U units a row) is unit g = rows[r] * U + i, and keep(g) = bits(g) >= keep_threshold(rate),
bits(g) one 32-bit half of splitmix64(key, g // 2) (kernels/counter_rng.py). rows says where x's
rows sit in the whole batch, so the ranks of a data-parallel run, each with some of its rows,
drop the units one process would.
"""

import numpy as np
from numba import njit, prange

from kernels.checks import check_dropout
from kernels.counter_rng import GOLDEN, MIX1, MIX2, keep_threshold
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size

BLOCKS = 16  # row blocks the threads share out (a few per thread, for balance)


@njit(cache=True)
def unit_bits(key, g):
    """bits(g): the 32 random bits of unit g (uint64 throughout: an int64 operand would turn
    Numba's arithmetic into float64)."""
    z = key + ((g >> np.uint64(1)) + np.uint64(1)) * np.uint64(GOLDEN)  # splitmix64(key, g // 2)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    z = z ^ (z >> np.uint64(31))
    return (z >> ((g & np.uint64(1)) << np.uint64(5))) & np.uint64(0xFFFFFFFF)  # the low half for even g, else the high


@njit(cache=True)
def _dropout_rows(a, key, rows, threshold, s, out):
    """a, out: the flat units of len(rows) rows; row r is row rows[r] of the whole batch."""
    N = rows.size
    U = a.size // N
    zero = a.dtype.type(0)
    for r in range(N):  # rows
        g0 = np.uint64(rows[r]) * np.uint64(U)  # its first unit's place in the whole batch
        for i in range(U):  # units of the row, flat
            e = r * U + i
            out[e] = a[e] * s if unit_bits(key, g0 + np.uint64(i)) >= threshold else zero


@by_size
def _dropout(a, key, rows, threshold, scale, out):
    """_dropout_rows over blocks of rows, a block a thread in the threaded build. (The same loop
    written as a prange over rows ran slower a unit than the serial build: LLVM
    vectorised it worse; docs/speed.md.)"""
    N = rows.size
    U = a.size // N
    s = a.dtype.type(scale)
    blocks = min(N, BLOCKS)
    for k in prange(blocks):  # blocks of rows
        r0, r1 = k * N // blocks, (k + 1) * N // blocks
        _dropout_rows(a[r0 * U:r1 * U], key, rows[r0:r1], threshold, s, out[r0 * U:r1 * U])


def _apply(op, a, rate, key, rows, out):
    check_dropout(op, a, rate, key, rows)
    rows = np.arange(a.shape[0], dtype=np.int64) if rows is None else np.ascontiguousarray(rows, dtype=np.int64)
    threshold = np.uint64(keep_threshold(rate))
    result = buffer(out, op, a.shape, a.dtype)
    _dropout(np.ascontiguousarray(a).reshape(-1), np.uint64(key), rows, threshold, 1.0 / (1.0 - rate),
             result.reshape(-1))
    return result


def dropout_forward(x, rate, key, rows=None, out=None):
    """y = x * keep / (1 - rate), keep drawn from key: an int in [0, 2^64), one a call (the layer
    derives it from its own key and a count of its calls). rows: (N,) ints, x's rows' indices in
    the whole batch, None for 0 ... N-1. out: a Workspace (kernels/workspace.py) to write y
    into, or None for a fresh array."""
    return _apply("dropout_forward", x, rate, key, rows, out)


def dropout_backward(dy, rate, key, rows=None, out=None):
    """dx = dy * keep / (1 - rate), keep the forward's: the same key and rows draw it again."""
    return _apply("dropout_backward", dy, rate, key, rows, out)
