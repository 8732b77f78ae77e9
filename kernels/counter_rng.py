"""Dropout's random bits, as a pure function of a key and a counter (a counter-based generator).

SplitMix64 (Steele, Lea and Flood, 2014) steps a 64-bit state by a constant and hashes it;
its j-th output can therefore be computed directly, with no state carried from one draw to
the next:

    splitmix64(state, j) = mix(state + (j + 1) * GOLDEN)                j = 0, 1, 2, ...
    mix(z): z = (z ^ z >> 30) * MIX1;  z = (z ^ z >> 27) * MIX2;  z ^ z >> 31     (mod 2^64)

So any thread can draw any unit's bits, in any order, and the backward can draw the forward's
mask again instead of storing it. Dropout's mask for one call (kernels/cpu/dropout.py):

    unit g of the whole batch (row rows[r] of it, unit i of U a row: g = rows[r] * U + i)
    bits(g) = the low (g even) or high (g odd) 32 bits of splitmix64(key, g // 2)
    keep(g) = bits(g) >= keep_threshold(rate)

This module is the host's half: the constants, splitmix64 on Python ints (a layer derives each
call's key with it) and keep_mask, the whole mask in NumPy, which the kernels are tested against
and the PyTorch twin drops units with. The CPU and CUDA kernels compute the same formulas inline.
"""

import numpy as np

GOLDEN = 0x9E3779B97F4A7C15  # 2^64 / the golden ratio, odd: SplitMix64's step
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
MASK64 = (1 << 64) - 1


def splitmix64(state, j):
    """The j-th output (j >= 0) of SplitMix64 started at state: ints -> an int in [0, 2^64)."""
    z = (state + (j + 1) * GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def keep_threshold(rate):
    """A unit is kept when its 32 bits are >= this: with probability 1 - rate, to 2^-32."""
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    return min(round(rate * 2.0**32), 2**32 - 1)


def keep_mask(key, shape, rate, dtype, rows=None):
    """The keep mask (1 kept, 0 dropped) dropout_forward(x, rate, key, rows) applies to an x of
    `shape` (N, ...): rows (N,) the rows' indices in the whole batch, None for 0 ... N-1."""
    N, U = shape[0], int(np.prod(shape[1:], dtype=np.int64))
    rows = np.arange(N, dtype=np.uint64) if rows is None else np.asarray(rows).astype(np.uint64)
    g = (rows[:, None] * np.uint64(U) + np.arange(U, dtype=np.uint64)[None, :]).ravel()  # (N*U,)
    z = np.uint64(key) + ((g >> np.uint64(1)) + np.uint64(1)) * np.uint64(GOLDEN)  # wraps mod 2^64
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    z = z ^ (z >> np.uint64(31))
    bits = np.where(g & np.uint64(1), z >> np.uint64(32), z & np.uint64(0xFFFFFFFF))
    return (bits >= np.uint64(keep_threshold(rate))).astype(dtype).reshape(shape)
