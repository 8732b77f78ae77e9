# expect: weights regrouped by a reshape
# mistake: In an im2col backward, turns the (KH, KW, C, F) kernel into an (F, KH*KW*C) matrix with w.reshape(F, -1) instead of w.reshape(-1, F).T, scrambling the weights used for dx whenever F > 1.
import numpy as np


def conv2d_forward(x, w, b, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    Ho, Wo = (H + 2 * p - KH) // s + 1, (W + 2 * p - KW) // s + 1
    y = np.empty((N, Ho, Wo, F))
    for n in range(N):  # batch
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                for f in range(F):  # kernels
                    acc = b[f]
                    for kh in range(KH):  # kernel rows
                        ih = oh * s - p + kh
                        if ih < 0 or ih >= H:  # a tap in the padding
                            continue
                        for kw in range(KW):  # kernel columns
                            iw = ow * s - p + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):  # input channels
                                acc += x[n, ih, iw, c] * w[kh, kw, c, f]
                    y[n, oh, ow, f] = acc
    return y


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    _, Ho, Wo, _ = dy.shape
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))

    # im2col: one row per output pixel, one column per (kh, kw, c)
    cols = np.empty((N, Ho, Wo, KH, KW, C))
    for kh in range(KH):
        for kw in range(KW):
            cols[:, :, :, kh, kw, :] = xp[:, kh:kh + s * Ho:s, kw:kw + s * Wo:s, :]
    cols2 = cols.reshape(N * Ho * Wo, KH * KW * C)
    dy2 = dy.reshape(N * Ho * Wo, F)

    dw = (cols2.T @ dy2).reshape(KH, KW, C, F)
    db = dy2.sum(axis=0)

    w2 = w.reshape(F, KH * KW * C)        # (F, K): one row per kernel
    dcols = (dy2 @ w2).reshape(N, Ho, Wo, KH, KW, C)

    # col2im
    dxp = np.zeros_like(xp)
    for kh in range(KH):
        for kw in range(KW):
            dxp[:, kh:kh + s * Ho:s, kw:kw + s * Wo:s, :] += dcols[:, :, :, kh, kw, :]
    dx = dxp[:, p:p + H, p:p + W, :]
    return dx, dw, db
