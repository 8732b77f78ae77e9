"""Inverted dropout on the GPU, its keep mask drawn in the kernel: the formulas of
kernels/cpu/dropout.py and kernels/counter_rng.py, one thread per unit."""

import warnings

import numpy as np
from numba import config, cuda

from kernels.checks import check_dropout
from kernels.counter_rng import GOLDEN, MIX1, MIX2, keep_threshold
from kernels.cuda.launch import elementwise
from kernels.cuda.memory import buffer, to_device


@cuda.jit(device=True)
def unit_bits(key, g):
    """bits(g), as kernels/cpu/dropout.py's unit_bits: uint64 throughout."""
    z = key + ((g >> np.uint64(1)) + np.uint64(1)) * np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    z = z ^ (z >> np.uint64(31))
    return z >> np.uint64(32) if g & np.uint64(1) else z & np.uint64(0xFFFFFFFF)


@cuda.jit
def _dropout(a, key, rows, threshold, scale, out):
    i = cuda.grid(1)
    if i < a.size:
        U = a.size // rows.size
        g = np.uint64(rows[i // U]) * np.uint64(U) + np.uint64(i % U)  # the unit's place in the whole batch
        out[i] = a[i] * a.dtype.type(scale) if unit_bits(key, g) >= threshold else a.dtype.type(0)


def _apply(op, a, rate, key, rows, out):
    check_dropout(op, a, rate, key, rows)
    if config.ENABLE_CUDASIM:
        # The simulator runs unit_bits on NumPy scalars, which warn where a GPU's uint64 arithmetic
        # wraps mod 2^64 as the generator means it to. Set at each call: a caller's (pytest's)
        # catch_warnings may have dropped an earlier one.
        warnings.filterwarnings("ignore", ".*overflow encountered", RuntimeWarning, module=__name__)
    if rows is None:
        rows = to_device(np.arange(a.shape[0], dtype=np.int64))
    return elementwise(_dropout, buffer(out, op, a.shape, a.dtype), a, np.uint64(key), rows,
                       np.uint64(keep_threshold(rate)), 1.0 / (1.0 - rate))


def dropout_forward(x, rate, key, rows=None, out=None):
    return _apply("dropout_forward", x, rate, key, rows, out)


def dropout_backward(dy, rate, key, rows=None, out=None):
    return _apply("dropout_backward", dy, rate, key, rows, out)
