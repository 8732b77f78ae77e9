# right: per kernel tap, strided slices of the padded input and tensordot, cropped [p:p+H]
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    Hp, Wp = max(H + 2 * p, (Ho - 1) * s + KH), max(W + 2 * p, (Wo - 1) * s + KW)
    xp = np.zeros((N, Hp, Wp, C))
    xp[:, p:p + H, p:p + W, :] = x
    dxp = np.zeros_like(xp)
    dw = np.empty_like(w)
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh, kh + (Ho - 1) * s + 1, s)
            cols = slice(kw, kw + (Wo - 1) * s + 1, s)
            dw[kh, kw] = np.tensordot(xp[:, rows, cols, :], dy, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, rows, cols, :] += np.tensordot(dy, w[kh, kw], axes=([3], [1]))
    return dxp[:, p:p + H, p:p + W, :], dw, dy.sum(axis=(0, 1, 2))
