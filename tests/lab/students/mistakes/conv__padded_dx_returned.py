# expect: padding not cropped
import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            patch = xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :]
            dw += np.tensordot(patch, dy[:, oh, ow, :], axes=([0], [0]))
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :] += np.tensordot(dy[:, oh, ow, :], w, axes=([1], [3]))
    return dxp, dw, dy.sum(axis=(0, 1, 2))
