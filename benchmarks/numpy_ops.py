"""The kernel contract (kernels.cpu's names and signatures) in plain NumPy.

The "what would NumPy alone do" baseline of the benchmarks: vectorised array expressions,
BLAS through ``@``, im2col through ``sliding_window_view``. Plugged into minigan's layers
as ``ops`` it runs the whole GAN step in NumPy, so step benchmarks compare engines on
identical layer code. Only the passes the benchmarks use are here.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kernels.checks import check_conv2d
from kernels.cpu.memory import concat_rows, copy_into, to_device, to_host, zeros_like  # noqa: F401 (host arrays already)


def dense_forward(x, w, b):
    return x @ w + b


def dense_backward(dy, x, w, input_grad=True, param_grads=True):
    dx = dy @ w.T if input_grad else None
    return (dx, x.T @ dy, dy.sum(axis=0)) if param_grads else (dx, None, None)


def _padded_windows(x, w, stride, padding):
    sh, sw, pt, pb, pl, pr, Ho, Wo = check_conv2d("numpy conv2d", x, w, None, stride, padding)
    KH, KW = w.shape[:2]
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0))) if pt or pb or pl or pr else x
    # (N, H', W', C, KH, KW) view -> strided -> (N, Ho, Wo, KH, KW, C) rows of the im2col matrix
    win = sliding_window_view(xp, (KH, KW), axis=(1, 2))[:, ::sh, ::sw][:, :Ho, :Wo]
    return win.transpose(0, 1, 2, 4, 5, 3), (sh, sw, pt, pl, Ho, Wo)


def conv2d_forward(x, w, b, stride, padding):
    win, (_, _, _, _, Ho, Wo) = _padded_windows(x, w, stride, padding)
    KH, KW, C, F = w.shape
    cols = win.reshape(-1, KH * KW * C)  # copies the windows: im2col
    return (cols @ w.reshape(-1, F) + b).reshape(x.shape[0], Ho, Wo, F)


def conv2d_backward(dy, x, w, stride, padding, input_grad=True, param_grads=True):
    win, (sh, sw, pt, pl, Ho, Wo) = _padded_windows(x, w, stride, padding)
    KH, KW, C, F = w.shape
    N, H, W, _ = x.shape
    dy2 = dy.reshape(-1, F)
    dw, db = ((win.reshape(-1, KH * KW * C).T @ dy2).reshape(w.shape), dy2.sum(axis=0)) if param_grads else (None, None)
    if not input_grad:
        return None, dw, db
    dcols = (dy2 @ w.reshape(-1, F).T).reshape(N, Ho, Wo, KH, KW, C)
    dxp = np.zeros((N, H + pt + KH + sh, W + pl + KW + sw, C), dtype=x.dtype)
    for kh in range(KH):  # col2im: one strided slice-add per kernel tap
        for kw in range(KW):
            dxp[:, kh: kh + sh * Ho: sh, kw: kw + sw * Wo: sw] += dcols[:, :, :, kh, kw]
    return dxp[:, pt: pt + H, pl: pl + W], dw, db


def relu_forward(x):
    return np.maximum(x, 0)


def relu_backward(dy, x):
    return dy * (x > 0)


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    return dy * (1 - y * y)


def bce_with_logits_forward(z, t):
    return np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))


def bce_with_logits_backward(z, t):
    return (0.5 * (1 + np.tanh(0.5 * z)) - t) / z.size  # sigmoid without overflow


def adam_update(p, g, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * g * g
    p -= (lr / (1 - beta1**step)) * m / (np.sqrt(v) / np.sqrt(1 - beta2**step) + eps)
