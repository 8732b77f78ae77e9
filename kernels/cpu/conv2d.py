"""2-D convolution (cross-correlation, as in Keras and PyTorch), NHWC, as matrix products.

Shapes: x (N, H, W, C), w (KH, KW, C, F), b (F,), y (N, Ho, Wo, F); the geometry g (strides,
padding, Ho, Wo) is resolved once from the spec (kernels/conv_geometry.py). The sums, written
out per element as plain loops in kernels/reference/conv2d.py, are here, with cols the matrix
whose row (n*Ho + oh)*Wo + ow holds the window of output pixel (n, oh, ow) in (kh, kw, c) order,
and W2 = w.reshape(KH*KW*C, F):
    y     = cols @ W2 + b                        (N*Ho*Wo, F), i.e. (N, Ho, Wo, F)
    dW2   = cols.T @ dy                          every window's pixels times its output's gradient
    dcols = dy @ W2.T,  dx = col2im(dcols)       each window's share sent back onto its pixels
    db    = sum over (n, oh, ow) of dy
col2im, the adjoint of the window copy, adds up where windows overlap (stride < kernel);
pixels no window reaches get dx = 0.

With spec.activation act after it and spectral norm's sigma, y = act(conv(x, w) / sigma + b),
and the formulas above apply to dpre / sigma, dpre = dy * act'(.): dw is then dL/dw with
sigma held fixed (spectral_norm_backward completes it); w / sigma is never written out.

How it runs here: im2col (kernels/cpu/im2col.py) copies each output pixel's window into a row
of cols (N*Ho*Wo, KH*KW*C), so the forward is one GEMM, y = cols @ w.reshape(KH*KW*C, F),
followed by one pass for the bias, 1 / sigma and the activation (kernels/cpu/epilogue.py). The
backward is two GEMMs, dw = cols.T @ dpre and dcols = dpre @ w.T, and col2im adds dcols back
onto the input pixels. Where the windows tile the input (stride = kernel), the same products
run over views of x instead, with nothing copied (kernels/cpu/tiled_windows.py). With spec.bf16
the products' operands, x (and so cols), w and dpre / sigma, are rounded to bfloat16 first and
summed in float32 (kernels/cpu/gemm_bf16.py): im2col then copies half the bytes. The same
formulas as plain loops are kernels/reference/conv2d.py, which this is tested equal to.
"""

import numpy as np

from kernels.checks import check_bf16_spec, check_cache, check_conv2d, check_upstream
from kernels.conv_geometry import output_shape
from kernels.cpu.epilogue import activation_backward_and_bias_grad, bias_activation_forward, scale_of
from kernels.cpu.gemm_bf16 import operand, products_of
from kernels.cpu.im2col import col2im, im2col
from kernels.cpu import tiled_windows
from kernels.cpu.memory import buffer
from kernels.specs import ConvCache


def conv2d_forward(x, w, b, spec, sigma=None, out=None):
    """y = act(conv(x, w) / sigma + b), and its cache.  x (N, H, W, C), w (KH, KW, C, F), b (F,)
    -> y (N, Ho, Wo, F).

    spec: a ConvSpec (kernels/specs.py): stride, padding, activation and bf16; with bf16, w may
    come as its bfloat16 bits (uint16) already. sigma: spectral_norm_forward's, or None.
    out: a Workspace (kernels/workspace.py) that y and the im2col matrix are taken from and that
    the next call overwrites, or None for fresh arrays."""
    g = check_conv2d("conv2d_forward", x, w, b, spec.stride, spec.padding)
    check_bf16_spec("conv2d_forward", spec, x, w)
    x, w, b = np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b)
    KH, KW, C, F = w.shape
    y = buffer(out, "conv2d.y", output_shape(g, x.shape[0], F), x.dtype)
    h = y.reshape(-1, F)  # (N*Ho*Wo, F)
    x, w = operand(spec, x, "conv2d.x16", out), operand(spec, w, "conv2d.w16", out)  # as spec.bf16 has them
    if tiled_windows.tiles(g, x):  # the products over views of x itself (kernels/cpu/tiled_windows.py)
        cols = None
        tiled_windows.forward_products(x, w, g, y)
    else:
        cols = im2col(x, g, out)  # (N*Ho*Wo, KH*KW*C), kept: dw = cols.T @ dpre
        gemm = products_of(cols)[0]  # c = a @ b for these operands
        gemm(cols, w.reshape(KH * KW * C, F), h)
    bias_activation_forward(h, b, spec.activation, scale_of(sigma, y.dtype))
    return y, ConvCache(x, w, sigma, spec, g, None, y, cols)


def conv2d_backward(dy, cache, input_grad=True, param_grads=True, out=None):
    """dy (N, Ho, Wo, F) and the forward's cache -> dx (N, H, W, C), dw (KH, KW, C, F), db (F,):
    the formulas above applied to dpre / sigma, dpre = dy * act'(.) read off the forward's y.

    input_grad / param_grads as in dense_backward: a skipped gradient is None and costs nothing.
    out: a Workspace for the gradients and the temporaries, or None."""
    check_cache("conv2d_backward", cache, ConvCache)
    x, w, sigma, spec, g, _, y, cols = cache  # x, w and cols as the forward's products took them
    check_upstream("conv2d_backward", dy, y.shape, y.dtype)
    KH, KW, C, F = w.shape
    K = KH * KW * C
    dy = np.ascontiguousarray(dy)
    dpre, db = activation_backward_and_bias_grad(dy.reshape(-1, F), y.reshape(-1, F), spec.activation,
                                                 scale_of(sigma, y.dtype), out)  # dpre / sigma, (F,)
    dpre = operand(spec, dpre, "conv2d.dpre16", out)
    gemm = products_of(dpre)[0]
    dx = None
    if input_grad and cols is None:  # the forward ran over views of x (kernels/cpu/tiled_windows.py)
        dx = buffer(out, "conv2d.dx", x.shape, dy.dtype)
        tiled_windows.input_grad(dpre, w, g, dx)
    elif input_grad:
        dcols = buffer(out, "conv2d.dcols", (dpre.shape[0], K), dy.dtype)
        gemm(dpre, w.reshape(K, F).T, dcols)  # (N*Ho*Wo, F) @ (F, K)
        dx = col2im(dcols, x.shape, g, out)
    if not param_grads:
        return dx, None, None
    dw = buffer(out, "conv2d.dw", w.shape, dy.dtype)
    if cols is None:
        tiled_windows.weight_grad(x, dpre, g, dw)
    else:
        gemm(cols.T, dpre, dw.reshape(K, F))  # (K, N*Ho*Wo) @ (N*Ho*Wo, F)
    return dx, dw, db
