"""The kernel contract (kernels/contract.py, with kernels.cpu's signatures) in plain NumPy.

The "what would NumPy alone do" baseline of the benchmarks: vectorised array expressions,
BLAS through ``@``, im2col through ``sliding_window_view``, plain NHWC. Plugged into minigan's
layers as ``ops`` it runs the whole GAN step in NumPy, so step benchmarks compare engines on
identical layer code. Only the passes the benchmarks use are here (the documented recipe's:
no BatchNorm, dropout or spectral norm's power iteration); tests/test_benchmark_references.py
holds each to kernels.cpu's signature and results.

The layers' passes take the same specs and fill the same caches as every engine's
(kernels/specs.py). The passes written here accept ``out``, as the contract has it, and leave it
unused: every result is a fresh array, as NumPy's expressions make them. The host helpers and
Workspace (the buffers the GAN lends its layers) are kernels.cpu's own.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kernels.checks import check_conv2d
from kernels.cpu import Workspace, concat_rows, copy_into, to_device, to_host, zeros_like  # noqa: F401 (host arrays)
from kernels.specs import ConvCache, DenseCache


def activate(pre, activation):
    """A spec's Activation (kernels/specs.py) applied to its input, as NumPy writes it."""
    if activation.kind == "relu":
        return np.maximum(pre, 0)
    if activation.kind == "leaky_relu":
        return np.where(pre > 0, pre, activation.alpha * pre)
    return pre


def through_activation(dy, y, activation):
    """dpre = dy * act'(.), read off the forward's output y (y > 0 exactly where its input was)."""
    if activation.kind == "relu":
        return dy * (y > 0)
    if activation.kind == "leaky_relu":
        return np.where(y > 0, dy, activation.alpha * dy)
    return dy


def scale(h, sigma):
    """h / sigma: spectral norm's w / sigma applied to a product (or to its gradient), or h itself."""
    return h if sigma is None else h / sigma


def dense_forward(x, w, b, spec, sigma=None, out=None):
    y = activate(scale(x @ w, sigma) + b, spec.activation)
    return y, DenseCache(x, w, sigma, spec, None, y)


def dense_backward(dy, cache, input_grad=True, param_grads=True, out=None):
    x, w, sigma, spec, _, y = cache
    dpre = through_activation(dy, y, spec.activation)
    dh = scale(dpre, sigma)
    dx = dh @ w.T if input_grad else None
    return (dx, x.T @ dh, dpre.sum(axis=0)) if param_grads else (dx, None, None)


def conv2d_forward(x, w, b, spec, sigma=None, out=None):
    g = check_conv2d("numpy conv2d_forward", x, w, b, spec.stride, spec.padding)
    xp = np.pad(x, ((0, 0), (g.pt, g.pb), (g.pl, g.pr), (0, 0))) if g.pt or g.pb or g.pl or g.pr else x
    # (N, H', W', C, KH, KW) view -> strided -> (N, Ho, Wo, KH, KW, C): the rows of the im2col matrix
    win = sliding_window_view(xp, (g.KH, g.KW), axis=(1, 2))[:, :: g.sh, :: g.sw][:, : g.Ho, : g.Wo]
    KH, KW, C, F = w.shape
    cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, KH * KW * C)  # copies the windows: im2col, kept for dw
    y = activate(scale(cols @ w.reshape(-1, F), sigma) + b, spec.activation).reshape(x.shape[0], g.Ho, g.Wo, F)
    return y, ConvCache(x, w, sigma, spec, g, None, y, cols)


def conv2d_backward(dy, cache, input_grad=True, param_grads=True, out=None):
    x, w, sigma, spec, g, _, y, cols = cache
    KH, KW, C, F = w.shape
    N, H, W, _ = x.shape
    dpre = through_activation(dy, y, spec.activation).reshape(-1, F)
    dh = scale(dpre, sigma)
    dw, db = ((cols.T @ dh).reshape(w.shape), dpre.sum(axis=0)) if param_grads else (None, None)
    if not input_grad:
        return None, dw, db
    sh, sw, pt, pl, Ho, Wo = g.sh, g.sw, g.pt, g.pl, g.Ho, g.Wo
    dcols = (dh @ w.reshape(-1, F).T).reshape(N, Ho, Wo, KH, KW, C)
    dxp = np.zeros((N, H + pt + KH + sh, W + pl + KW + sw, C), dtype=x.dtype)
    for kh in range(KH):  # col2im: one strided slice-add per kernel tap
        for kw in range(KW):
            dxp[:, kh: kh + sh * Ho: sh, kw: kw + sw * Wo: sw] += dcols[:, :, :, kh, kw]
    return dxp[:, pt: pt + H, pl: pl + W], dw, db


def relu_forward(x, out=None):
    return np.maximum(x, 0)


def relu_backward(dy, x, out=None):
    return dy * (x > 0)


def tanh_forward(x, out=None):
    return np.tanh(x)


def tanh_backward(dy, y, out=None):
    return dy * (1 - y * y)


def bce_with_logits_forward(logits, targets):
    return np.mean(np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits))))


def bce_with_logits_backward(logits, targets, out=None):
    return (0.5 * (1 + np.tanh(0.5 * logits)) - targets) / logits.size  # sigmoid without overflow


def adam_update(param, grad, m, v, step, spec):
    m *= spec.beta1
    m += (1 - spec.beta1) * grad
    v *= spec.beta2
    v += (1 - spec.beta2) * grad * grad
    param -= (spec.lr / (1 - spec.beta1**step)) * m / (np.sqrt(v) / np.sqrt(1 - spec.beta2**step) + spec.eps)
