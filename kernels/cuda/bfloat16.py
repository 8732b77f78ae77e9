"""Rounding to bfloat16 and back on the GPU, one thread per element: kernels/bfloat16.py's
definition (the same Python, compiled for the device). The arrays are read as their bits
through views (float32 as uint32), as on the CPU."""

import numpy as np
from numba import cuda

from kernels.bfloat16 import round_bits, widen_bits
from kernels.checks import check_bfloat16_bits, check_bfloat16_input
from kernels.cuda.launch import elementwise
from kernels.cuda.memory import buffer

_round_bits = cuda.jit(device=True)(round_bits.py_func)
_widen_bits = cuda.jit(device=True)(widen_bits.py_func)


@cuda.jit
def _round(x, bits):
    i = cuda.grid(1)
    if i < x.size:
        bits[i] = _round_bits(x[i])


@cuda.jit
def _widen(bits, x):
    i = cuda.grid(1)
    if i < bits.size:
        x[i] = _widen_bits(bits[i])


def round_to_bfloat16(x, out=None):
    """float32 device array (C-contiguous) -> its bfloat16 bits (uint16), rounded to nearest, ties to even."""
    check_bfloat16_input("round_to_bfloat16", x)
    bits = buffer(out, "round_to_bfloat16", x.shape, np.uint16)
    return elementwise(_round, bits, x.view(np.uint32)).view(np.uint16)


def bfloat16_to_float32(bits, out=None):
    """bfloat16 bits (uint16 device array) -> the same numbers as float32, exactly."""
    check_bfloat16_bits("bfloat16_to_float32", bits)
    x = buffer(out, "bfloat16_to_float32", bits.shape, np.float32)
    elementwise(_widen, x.view(np.uint32), bits)
    return x
