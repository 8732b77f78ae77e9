"""Rounding float32 arrays to bfloat16 and back, the fast engine's way: kernels/bfloat16.py's
definition over the array, threaded where it is large (kernels/cpu/parallel.py).

    bits = round_to_bfloat16(x, out=None)      float32 (any shape) -> uint16, the nearest bfloat16s
    x16  = bfloat16_to_float32(bits, out=None) uint16 -> float32, exactly
    bits = rounded(x, name, out)               a layer's GEMM operand, in its workspace buffer `name`

A float32 array is read as its bits through a view (``x.view(np.uint32)``): integer
arithmetic only, no copy. Every element is rounded on its own, so the bits never depend on
the thread count.
"""

import numpy as np
from numba import prange

from kernels.bfloat16 import round_bits, widen_bits
from kernels.checks import check_bfloat16_bits, check_bfloat16_input
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size


@by_size
def _round(x, bits):
    # x: float32 bits (size,) uint32 -> bits (size,) uint16
    for i in prange(x.size):
        bits[i] = round_bits(x[i])


@by_size
def _widen(bits, x):
    # bits (size,) uint16 -> x: float32 bits (size,) uint32
    for i in prange(bits.size):
        x[i] = widen_bits(bits[i])


def rounded(x, name, out):
    """x (float32, C-contiguous) -> its bfloat16 bits (uint16, x's shape), in the Workspace
    buffer `name` (kernels/workspace.py) or a fresh array when out is None."""
    bits = buffer(out, name, x.shape, np.uint16)
    _round(x.reshape(-1).view(np.uint32), bits.reshape(-1))
    return bits


def round_to_bfloat16(x, out=None):
    """float32 x (any shape) -> the bits of the bfloat16 nearest to each element, ties to even
    (uint16, x's shape). out: a Workspace for the result ("round_to_bfloat16"), or None."""
    check_bfloat16_input("round_to_bfloat16", x)
    return rounded(np.ascontiguousarray(x), "round_to_bfloat16", out)


def bfloat16_to_float32(bits, out=None):
    """bfloat16 bits (uint16, any shape) -> the same numbers as float32 (exact). out: a Workspace
    for the result ("bfloat16_to_float32"), or None."""
    check_bfloat16_bits("bfloat16_to_float32", bits)
    bits = np.ascontiguousarray(bits)
    x = buffer(out, "bfloat16_to_float32", bits.shape, np.float32)
    _widen(bits.reshape(-1), x.reshape(-1).view(np.uint32))
    return x
