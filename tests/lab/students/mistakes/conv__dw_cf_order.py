# expect: transposed
import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros((KH, KW, F, C))
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            patch = xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :]
            dw += np.einsum("nf,nhwc->hwfc", dy[:, oh, ow, :], patch)
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :] += np.einsum("nf,hwcf->nhwc", dy[:, oh, ow, :], w)
    return dxp[:, p:p + H, p:p + W, :], dw, dy.sum(axis=(0, 1, 2))
