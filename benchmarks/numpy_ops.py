"""The kernel contract (kernels.cpu's names and signatures) in plain NumPy.

The "what would NumPy alone do" baseline of the benchmarks: vectorised array expressions,
BLAS through ``@``, im2col through ``sliding_window_view``. Plugged into minigan's layers
as ``ops`` it runs the whole GAN step in NumPy, so step benchmarks compare engines on
identical layer code. Only the passes the benchmarks use are here.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kernels.checks import check_conv2d
from kernels.conv_geometry import depth_to_space, space_to_depth
from kernels.cpu.memory import concat_rows, copy_into, to_device, to_host, zeros_like  # noqa: F401 (host arrays already)


def activation(h, kind, alpha):
    """A layer's activation argument (kernels/cpu/epilogue.py), as NumPy writes it."""
    if kind == "relu":
        return np.maximum(h, 0)
    return h if kind is None else np.where(h > 0, h, alpha * h)


def through_activation(dy, y, kind, alpha):
    """dpre = dy * act'(.), read off the forward's output y."""
    if kind == "relu":
        return dy * (y > 0)
    return dy if kind is None else np.where(y > 0, dy, alpha * dy)


def dense_forward(x, w, b, kind=None, alpha=0.2):
    return activation(x @ w + b, kind, alpha)


def dense_backward(dy, x, w, input_grad=True, param_grads=True, y=None, kind=None, alpha=0.2):
    dy = through_activation(dy, y, kind, alpha)
    dx = dy @ w.T if input_grad else None
    return (dx, x.T @ dy, dy.sum(axis=0)) if param_grads else (dx, None, None)


def _padded_windows(x, w, stride, padding):
    g = check_conv2d("numpy conv2d", x, w, None, stride, padding)
    pads = ((0, 0), (g.pt, g.pb), (g.pl, g.pr), (0, 0))
    xp = np.pad(x, pads) if g.pt or g.pb or g.pl or g.pr else x
    # (N, H', W', C, KH, KW) view -> strided -> (N, Ho, Wo, KH, KW, C) rows of the im2col matrix
    win = sliding_window_view(xp, (g.KH, g.KW), axis=(1, 2))[:, :: g.sh, :: g.sw][:, : g.Ho, : g.Wo]
    return win.transpose(0, 1, 2, 4, 5, 3), g


def conv2d_forward(x, w, b, stride, padding, kind=None, alpha=0.2, out_block=1):
    win, g = _padded_windows(x, w, stride, padding)
    KH, KW, C, F = w.shape
    cols = win.reshape(-1, KH * KW * C)  # copies the windows: im2col
    y = activation(cols @ w.reshape(-1, F) + b, kind, alpha).reshape(x.shape[0], g.Ho, g.Wo, F)
    return y if out_block == 1 else space_to_depth(y, out_block)  # blocked by a copy: kernels/conv_geometry.py


def conv2d_forward_with_cols(x, w, b, stride, padding, kind=None, alpha=0.2, out_block=1):
    return conv2d_forward(x, w, b, stride, padding, kind, alpha, out_block), None  # its windows are a view


def conv2d_backward(dy, x, w, stride, padding, input_grad=True, param_grads=True, y=None, kind=None, alpha=0.2,
                    cols=None, out_block=1):
    dy = through_activation(dy, y, kind, alpha)
    if out_block != 1:
        dy = depth_to_space(dy, out_block)
    win, g = _padded_windows(x, w, stride, padding)
    sh, sw, pt, pl, Ho, Wo = g.sh, g.sw, g.pt, g.pl, g.Ho, g.Wo
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
