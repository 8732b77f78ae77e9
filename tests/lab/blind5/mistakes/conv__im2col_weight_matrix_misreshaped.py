# expect: weights regrouped by a reshape
# mistake: in the im2col version the weight matrix for dx is built as w.reshape(F, -1).T instead of w.reshape(-1, F), which has the right shape (KH*KW*C, F) but scrambled entries, so dx is wrong (dw and db are right).
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


def _im2col(xp, KH, KW, s, Ho, Wo):
    N, _, _, C = xp.shape
    cols = np.empty((N, Ho, Wo, KH, KW, C))
    for kh in range(KH):
        for kw in range(KW):
            cols[:, :, :, kh, kw, :] = xp[:, kh:kh + s * (Ho - 1) + 1:s, kw:kw + s * (Wo - 1) + 1:s, :]
    return cols.reshape(N * Ho * Wo, KH * KW * C)


def _col2im(cols, shape, KH, KW, s, Ho, Wo):
    N, Hp, Wp, C = shape
    cols = cols.reshape(N, Ho, Wo, KH, KW, C)
    xp = np.zeros(shape)
    for kh in range(KH):
        for kw in range(KW):
            xp[:, kh:kh + s * (Ho - 1) + 1:s, kw:kw + s * (Wo - 1) + 1:s, :] += cols[:, :, :, kh, kw, :]
    return xp


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    _, Ho, Wo, _ = dy.shape
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    cols = _im2col(xp, KH, KW, s, Ho, Wo)          # (N*Ho*Wo, KH*KW*C)
    dy2 = dy.reshape(-1, F)                         # (N*Ho*Wo, F)
    dw = (cols.T @ dy2).reshape(KH, KW, C, F)
    db = dy2.sum(axis=0)
    wmat = w.reshape(F, -1).T                       # (KH*KW*C, F)
    dcols = dy2 @ wmat.T
    dxp = _col2im(dcols, xp.shape, KH, KW, s, Ho, Wo)
    dx = dxp[:, p:p + H, p:p + W, :]
    return dx, dw, db
