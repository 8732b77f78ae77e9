# expect: error
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    K = w.shape[0]  # the kernel is K x K
    F = w.shape[3]
    s, p = stride, padding
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            win = xp[:, oh * s:oh * s + K, ow * s:ow * s + K, :]
            dw[:K, :K] += np.einsum("nhwc,nf->hwcf", win, dy[:, oh, ow, :])
            dxp[:, oh * s:oh * s + K, ow * s:ow * s + K, :] += np.einsum("hwcf,nf->nhwc", w[:K, :K], dy[:, oh, ow, :])
    return dxp[:, p:p + H, p:p + W, :], dw, dy.sum(axis=(0, 1, 2)) + 0 * F
