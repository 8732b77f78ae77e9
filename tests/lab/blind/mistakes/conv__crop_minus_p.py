# expect: padding cropped with [p:-p]
# mistake: backward on the padded input, cropped with [p:-p]: empty when p = 0
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
    for oh in range(Ho):
        for ow in range(Wo):
            win = xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :]  # (N, KH, KW, C)
            g = dy[:, oh, ow, :]  # (N, F)
            dw += np.einsum("nhwc,nf->hwcf", win, g)
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :] += np.einsum("hwcf,nf->nhwc", w, g)
    return dxp[:, p:-p, p:-p, :], dw, dy.sum(axis=(0, 1, 2))
