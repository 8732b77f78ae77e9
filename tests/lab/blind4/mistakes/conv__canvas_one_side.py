# expect: error
# mistake: the padded canvas made H + p by W + p (padding on one side only): windows run past its end
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dw = np.zeros_like(w)
    xp = np.zeros((N, H + p, W + p, C))
    xp[:, p:, p:, :] = x
    dxp = np.zeros_like(xp)
    for oh in range(Ho):
        for ow in range(Wo):
            win = xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :]
            dw += np.einsum("nhwc,nf->hwcf", win, dy[:, oh, ow, :])
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :] += np.einsum("hwcf,nf->nhwc", w, dy[:, oh, ow, :])
    return dxp[:, p:, p:, :], dw, dy.sum(axis=(0, 1, 2))
