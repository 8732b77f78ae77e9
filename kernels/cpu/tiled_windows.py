"""A convolution whose windows tile its input, as products over strided views: no im2col.

When the stride equals the kernel, there is no padding and nothing is left over (H = KH*Ho,
W = KW*Wo: D's conv2, 9 x 9 with k3 s3), every input pixel lies in exactly one window, at
exactly one tap. Viewing x (N, H, W, C) as (N*Ho, KH, Wo, KW*C), which is a reshape, the
pixels that kernel row kh of window column ow reads, for every (n, oh), are the matrix
x[:, kh, ow, :] (N*Ho, KW*C), whose rows lie KH*W*C apart. So the convolution is a sum of
KH*Wo products that BLAS reads in place (kernels/cpu/gemm.py, STRIDED_OPERANDS):

    y[:, ow, :]  = sum_kh  x[:, kh, ow, :] @ w[kh]         w[kh]: (KW*C, F), y viewed (N*Ho, Wo, F)
    dw[kh]       = sum_ow  x[:, kh, ow, :].T @ dpre[:, ow, :]
    dx[:, kh, ow, :] = dpre[:, ow, :] @ w[kh].T              each pixel written once: no zeroing

the same sums as im2col's one product (kernels/cpu/im2col.py), which copies every pixel into a
row of cols first and back again with col2im; here nothing is copied (docs/speed.md has what
that saves, and what smaller products cost). Float operands only: bfloat16 bits go through
im2col (tiles()).
"""

import numpy as np

from kernels.conv_geometry import cols_are_the_input
from kernels.cpu.gemm import STRIDED_OPERANDS, gemm_add_into, gemm_into
from kernels.cpu.im2col import windows_tile


def tiles(g, x):
    """Does this convolution run here: windows that tile the input x, on a BLAS that reads strided
    rows, and not one window a whole row of pixels (im2col's reshape, one product, wins there).
    Not for bfloat16 bits: oneDNN costs more a call than BLAS, and im2col copies half the bytes,
    so its one product wins (docs/speed.md)."""
    return STRIDED_OPERANDS and windows_tile(g) and not cols_are_the_input(g) and x.dtype != np.uint16


def views(x, w, g):
    """x as (N*Ho, KH, Wo, KW*C) and w as (KH, KW*C, F): reshapes, no copy."""
    N, _, _, C = x.shape
    F = w.shape[3]
    return x.reshape(N * g.Ho, g.KH, g.Wo, g.KW * C), w.reshape(g.KH, g.KW * C, F)


def forward_products(x, w, g, y):
    """y (N, Ho, Wo, F) <- the convolution's sums (no bias), written over."""
    xv, wv = views(x, w, g)
    yv = y.reshape(xv.shape[0], g.Wo, w.shape[3])  # (N*Ho, Wo, F)
    for ow in range(g.Wo):  # output columns
        gemm_into(xv[:, 0, ow, :], wv[0], yv[:, ow, :])
        for kh in range(1, g.KH):  # kernel rows, summed into the same output
            gemm_add_into(xv[:, kh, ow, :], wv[kh], yv[:, ow, :])


def weight_grad(x, dpre, g, dw):
    """dw (KH, KW, C, F) <- sum over every window of its pixels times its output's gradient."""
    xv, dwv = views(x, dw, g)
    dv = dpre.reshape(xv.shape[0], g.Wo, dw.shape[3])  # (N*Ho, Wo, F)
    for kh in range(g.KH):  # kernel rows
        gemm_into(xv[:, kh, 0, :].T, dv[:, 0, :], dwv[kh])
        for ow in range(1, g.Wo):  # output columns, summed into the same kernel row
            gemm_add_into(xv[:, kh, ow, :].T, dv[:, ow, :], dwv[kh])


def input_grad(dpre, w, g, dx):
    """dx (N, H, W, C) <- each window's share of the gradient, onto the pixels it read."""
    dxv, wv = views(dx, w, g)
    dv = dpre.reshape(dxv.shape[0], g.Wo, w.shape[3])
    for kh in range(g.KH):
        for ow in range(g.Wo):  # every pixel is in one (kh, ow) block: each written once
            gemm_into(dv[:, ow, :], wv[kh].T, dxv[:, kh, ow, :])
