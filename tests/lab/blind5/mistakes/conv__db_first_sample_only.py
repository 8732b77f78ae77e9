# expect: missing batch sum
# mistake: db sums dy over the output pixels of the first sample only (dy[0]), forgetting to sum over the batch.
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
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C))
    xp[:, p:p + H, p:p + W] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros((KH, KW, C, F))
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh, kh + s * (Ho - 1) + 1, s)
            cols = slice(kw, kw + s * (Wo - 1) + 1, s)
            dw[kh, kw] = np.tensordot(xp[:, rows, cols, :], dy, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, rows, cols, :] += np.tensordot(dy, w[kh, kw], axes=([3], [1]))
    dx = dxp[:, p:p + H, p:p + W]
    db = dy[0].sum(axis=(0, 1))
    return dx, dw, db
