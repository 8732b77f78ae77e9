"""Rounding to bfloat16 and back, as plain loops over the numbers' bits (the definition, with
why it rounds to nearest and ties to even, is kernels/bfloat16.py).

    bits = round_to_bfloat16(x)      float32 (any shape) -> uint16: the nearest bfloat16's bits
    x16  = bfloat16_to_float32(bits) uint16 -> float32: the same numbers, exactly

A float32 array is read as its bits by a view (``x.view(np.uint32)``), no copy: the loops
then do integer arithmetic only.
"""

import numpy as np
from numba import njit

from kernels.bfloat16 import round_bits, widen_bits


@njit(cache=True)
def round_to_bfloat16(x):
    bits = np.empty(x.shape, np.uint16)
    xf, bf = x.reshape(-1).view(np.uint32), bits.reshape(-1)  # the float32s as their bits, flat
    for i in range(xf.size):  # (size,)
        bf[i] = round_bits(xf[i])
    return bits


@njit(cache=True)
def bfloat16_to_float32(bits):
    x = np.empty(bits.shape, np.float32)
    bf, xf = bits.reshape(-1), x.reshape(-1).view(np.uint32)
    for i in range(bf.size):  # (size,)
        xf[i] = widen_bits(bf[i])
    return x
