"""Inverted dropout on the GPU with a given keep mask: the formulas of kernels/cpu/dropout.py."""

from numba import cuda

from kernels.checks import check_same_shape
from kernels.cuda.launch import elementwise
from kernels.cuda.memory import buffer


@cuda.jit
def _masked_scale(a, mask, scale, out):
    i = cuda.grid(1)
    if i < a.size:
        out[i] = a[i] * mask[i] * a.dtype.type(scale)


def _dropout(op, a, mask, rate, out):
    check_same_shape(op, x=a, mask=mask)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    return elementwise(_masked_scale, buffer(out, op, a.shape, a.dtype), a, mask, 1.0 / (1.0 - rate))


def dropout_forward(x, mask, rate, out=None):
    return _dropout("dropout_forward", x, mask, rate, out)


def dropout_backward(dy, mask, rate, out=None):
    return _dropout("dropout_backward", dy, mask, rate, out)
