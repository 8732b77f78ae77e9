"""Binary cross-entropy on logits on the GPU (math: kernels/cpu/losses.py).

The forward's mean over M logits (M = 2B, at most a few hundred) is one thread's loop:
readable, and a tree reduction would not pay at this size. The loss comes back to the
host as a scalar, as the trainer prints it."""

import math

from numba import cuda

from kernels.checks import check_same_shape
from kernels.cuda.elementwise import stable_sigmoid
from kernels.cuda.launch import device_empty, flat, grid_1d


@cuda.jit
def _bce_forward(z, t, out):
    if cuda.grid(1) == 0:
        zero = z.dtype.type(0)
        total = zero
        for i in range(z.size):
            relu_z = z[i] if z[i] > zero else zero
            total += relu_z - z[i] * t[i] + math.log1p(math.exp(-abs(z[i])))
        out[0] = total / z.dtype.type(z.size)


@cuda.jit
def _bce_backward(z, t, inv_m, dz):
    i = cuda.grid(1)
    if i < z.size:
        dz[i] = (stable_sigmoid(z[i]) - t[i]) * z.dtype.type(inv_m)


def bce_with_logits_forward(logits, targets):
    check_same_shape("bce_with_logits_forward", logits=logits, targets=targets)
    out = device_empty((1,), logits.dtype)
    _bce_forward[1, 1](flat(logits), flat(targets), out)
    return out.copy_to_host()[0]


def bce_with_logits_backward(logits, targets):
    check_same_shape("bce_with_logits_backward", logits=logits, targets=targets)
    dz = device_empty(logits.shape, logits.dtype)
    blocks, threads = grid_1d(logits.size)
    _bce_backward[blocks, threads](flat(logits), flat(targets), 1.0 / logits.size, flat(dz))
    return dz
