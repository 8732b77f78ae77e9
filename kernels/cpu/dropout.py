"""Inverted dropout with a caller-supplied keep mask (the kernel draws no random numbers,
so it stays a pure function and the caller's RNG decides reproducibility).

    y  = x * mask / (1 - rate)        mask[i] in {0, 1}, 1 with probability 1 - rate
    dx = dy * mask / (1 - rate)       (the forward is linear in x for a fixed mask)
Scaling by 1 / (1 - rate) at training time keeps E[y] = x, so inference uses y = x.
"""

import numpy as np
from numba import prange

from kernels.checks import check_same_shape
from kernels.cpu.parallel import by_size


@by_size
def _masked_scale(a, mask, scale):
    out = np.empty_like(a)
    s = a.dtype.type(scale)
    for i in prange(a.size):  # flat (size,)
        out[i] = a[i] * mask[i] * s
    return out


def _apply(op, a, mask, rate):
    check_same_shape(op, x=a, mask=mask)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    flat = _masked_scale(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(mask).reshape(-1), 1.0 / (1.0 - rate))
    return flat.reshape(a.shape)


def dropout_forward(x, mask, rate):
    """y = x * mask / (1 - rate); mask has x's shape and dtype, entries 0 or 1."""
    return _apply("dropout_forward", x, mask, rate)


def dropout_backward(dy, mask, rate):
    """dx = dy * mask / (1 - rate)."""
    return _apply("dropout_backward", dy, mask, rate)
