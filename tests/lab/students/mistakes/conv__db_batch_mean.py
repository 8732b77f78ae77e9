# expect: mean where a sum belongs
import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            dw += np.einsum("nhwc,nf->hwcf", xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW], dy[:, oh, ow])
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW] += np.einsum("hwcf,nf->nhwc", w, dy[:, oh, ow])
    return dxp[:, p:p + H, p:p + W], dw, dy.sum(axis=(1, 2)).mean(axis=0)
