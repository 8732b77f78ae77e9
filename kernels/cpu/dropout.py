"""Inverted dropout with a caller-supplied keep mask (the kernel draws no random numbers,
so it stays a pure function and the caller's RNG decides reproducibility).

    y  = x * mask / (1 - rate)        mask[i] in {0, 1}, 1 with probability 1 - rate
    dx = dy * mask / (1 - rate)       (the forward is linear in x for a fixed mask)
Scaling by 1 / (1 - rate) at training time keeps E[y] = x, so inference uses y = x.
"""

import numpy as np
from numba import prange

from kernels.checks import check_same_shape
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size


@by_size
def _masked_scale(a, mask, scale, out):
    s = a.dtype.type(scale)
    for i in prange(a.size):  # flat (size,)
        out[i] = a[i] * mask[i] * s


def _apply(op, a, mask, rate, out):
    check_same_shape(op, x=a, mask=mask)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    result = buffer(out, op, a.shape, a.dtype)
    _masked_scale(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(mask).reshape(-1), 1.0 / (1.0 - rate),
                  result.reshape(-1))
    return result


def dropout_forward(x, mask, rate, out=None):
    """y = x * mask / (1 - rate); mask has x's shape and dtype, entries 0 or 1. out: a
    Workspace (kernels/workspace.py) to write y into, or None for a fresh array."""
    return _apply("dropout_forward", x, mask, rate, out)


def dropout_backward(dy, mask, rate, out=None):
    """dx = dy * mask / (1 - rate); out as in dropout_forward."""
    return _apply("dropout_backward", dy, mask, rate, out)
