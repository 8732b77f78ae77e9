"""bfloat16: the top half of a float32, rounded to nearest, ties to even; one number at a time.

A float32 is 32 bits: sign (1), exponent (8), mantissa (23). A bfloat16 keeps the top 16:
the same sign, the same 8 exponent bits (so float32's range, 1e-38 to 3e38, subnormals
included) and the top 7 mantissa bits (8 significant bits with the implicit leading 1: a
relative rounding error of at most 2^-8, docs/precision.md). Widening back to float32 is
exact: the 16 bits, followed by 16 zeros.

Rounding on the bits, with b the float32's bits as an unsigned 32-bit integer:

    lsb     = (b >> 16) & 1               the last bit kept
    rounded = (b + 0x7FFF + lsb) >> 16     keep the top 16 bits, after adding just under half

The dropped half d = b & 0xFFFF carries one into the kept bits when d + 0x7FFF + lsb >= 0x10000:
when d > 0x8000 (more than half: round up), or d = 0x8000 (a tie) with lsb = 1 (up, to the
even neighbour); a tie with lsb = 0 stays (already even). A carry may run into the exponent:
the next binade, or infinity past the largest bfloat16, which is round to nearest's answer.
NaN is the one exception: its mantissa may lie entirely in the dropped half (0x7F800001 would
become infinity), so a NaN keeps its top 16 bits with the quiet bit (0x0040) set.

Every engine's rounding calls these (kernels/reference/bfloat16.py, the plain loops;
kernels/cpu/bfloat16_rounding.py, threaded; kernels/cuda/bfloat16.py compiles the same
Python for the GPU); tests/test_bfloat16.py holds them to this definition written again,
bit for bit.
"""

import numpy as np
from numba import njit

NAN_FLOOR = np.uint32(0x7F800000)  # |b| above this (exponent all ones, mantissa not zero): NaN
QUIET = np.uint16(0x0040)  # bfloat16's quiet-NaN bit, the top mantissa bit


@njit(cache=True, inline="always")
def round_bits(b):
    """One float32's bits (uint32) -> the bfloat16 nearest to it, ties to even (uint16)."""
    if (b & np.uint32(0x7FFFFFFF)) > NAN_FLOOR:  # NaN stays NaN, quiet
        return np.uint16(b >> 16) | QUIET
    lsb = (b >> 16) & np.uint32(1)
    return np.uint16((b + np.uint32(0x7FFF) + lsb) >> 16)


@njit(cache=True, inline="always")
def widen_bits(h):
    """One bfloat16's bits (uint16) -> the same number's float32 bits (uint32): 16 zeros below."""
    return np.uint32(h) << 16
