# expect: stride not applied
# mistake: vectorised over the kernel taps; dx's slice of dy-windows takes every row (kh:kh+Ho), the stride forgotten in dx only
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C))
    xp[:, p:p + H, p:p + W, :] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for kh in range(KH):
        for kw in range(KW):
            xs = xp[:, kh:kh + (Ho - 1) * s + 1:s, kw:kw + (Wo - 1) * s + 1:s, :]  # (N, Ho, Wo, C)
            dw[kh, kw] = np.tensordot(xs, dy, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, kh:kh + Ho, kw:kw + Wo, :] += np.tensordot(dy, w[kh, kw], axes=([3], [1]))
    return dxp[:, p:p + H, p:p + W, :], dw, dy.sum(axis=(0, 1, 2))
