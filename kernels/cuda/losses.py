"""Binary cross-entropy on logits and softmax cross-entropy on the GPU (math: kernels/cpu/losses.py).

The forward's mean over M logits (M = 2B, at most a few hundred) is one thread's loop:
readable, and a tree reduction would not pay at this size. The loss comes back to the
host as a scalar, as the trainer prints it. Softmax cross-entropy: one thread per sample
(its row of K logits), then one thread sums the per-sample losses."""

import math

from numba import cuda

from kernels.checks import check_same_shape, check_softmax_cross_entropy
from kernels.cuda.activations import stable_sigmoid
from kernels.cuda.launch import device_empty, flat, grid_1d
from kernels.cuda.memory import buffer


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


def bce_with_logits_backward(logits, targets, out=None):
    check_same_shape("bce_with_logits_backward", logits=logits, targets=targets)
    dz = buffer(out, "bce_with_logits_backward", logits.shape, logits.dtype)
    blocks, threads = grid_1d(logits.size)
    _bce_backward[blocks, threads](flat(logits), flat(targets), 1.0 / logits.size, flat(dz))
    return dz


@cuda.jit
def _softmax_rows(z, labels, p, row_loss):
    n = cuda.grid(1)
    N, K = z.shape
    if n < N:
        m = z[n, 0]
        for k in range(1, K):  # the row's max first: exp cannot overflow
            if z[n, k] > m:
                m = z[n, k]
        s = z.dtype.type(0)
        for k in range(K):
            p[n, k] = math.exp(z[n, k] - m)
            s += p[n, k]
        for k in range(K):
            p[n, k] /= s
        row_loss[n] = math.log(s) + m - z[n, labels[n]]  # logsumexp(z) - z[label]


@cuda.jit
def _mean(a, out):
    if cuda.grid(1) == 0:
        total = a.dtype.type(0)
        for i in range(a.size):
            total += a[i]
        out[0] = total / a.dtype.type(a.size)


@cuda.jit
def _softmax_ce_backward(p, labels, inv_n):
    n = cuda.grid(1)
    N, K = p.shape
    if n < N:
        p[n, labels[n]] -= p.dtype.type(1)
        for k in range(K):
            p[n, k] *= p.dtype.type(inv_n)


def _softmax(op, logits, labels):
    y = cuda.to_device(check_softmax_cross_entropy(op, logits, labels))
    p = device_empty(logits.shape, logits.dtype)
    row_loss = device_empty(logits.shape[0], logits.dtype)
    blocks, threads = grid_1d(logits.shape[0])
    _softmax_rows[blocks, threads](logits, y, p, row_loss)
    return y, p, row_loss


def softmax_cross_entropy_forward(logits, labels):
    """Mean over N of -log softmax(logits[n])[labels[n]]; labels host or device integers."""
    _, _, row_loss = _softmax("softmax_cross_entropy_forward", logits, labels)
    out = device_empty((1,), logits.dtype)
    _mean[1, 1](row_loss, out)
    return out.copy_to_host()[0]


def softmax_cross_entropy_backward(logits, labels):
    """dL/dlogits = (softmax(logits) - onehot(labels)) / N, (N, K)."""
    y, p, _ = _softmax("softmax_cross_entropy_backward", logits, labels)
    blocks, threads = grid_1d(logits.shape[0])
    _softmax_ce_backward[blocks, threads](p, y, 1.0 / logits.shape[0])
    return p
