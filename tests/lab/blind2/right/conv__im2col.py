# right: im2col of the padded input: dw = cols.T @ dy, dx scattered back from dy @ w.T
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    cols = np.empty((N, Ho, Wo, KH, KW, C))
    for oh in range(Ho):
        for ow in range(Wo):
            cols[:, oh, ow] = xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :]
    d2 = dy.reshape(-1, F)
    dw = (cols.reshape(-1, KH * KW * C).T @ d2).reshape(w.shape)
    dcols = (d2 @ w.reshape(-1, F).T).reshape(N, Ho, Wo, KH, KW, C)
    dxp = np.zeros_like(xp)
    for oh in range(Ho):
        for ow in range(Wo):
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :] += dcols[:, oh, ow]
    return dxp[:, p:p + H, p:p + W, :], dw, d2.sum(axis=0)
