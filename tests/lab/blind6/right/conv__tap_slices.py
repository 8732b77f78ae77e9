# right: conv backward looping only over kernel taps: strided slices of the padded input/gradient buffers contracted with np.tensordot
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
    Ho, Wo = dy.shape[1], dy.shape[2]
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C), dtype=x.dtype)
    xp[:, p:p + H, p:p + W, :] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for kh in range(KH):
        rows = slice(kh, kh + s * (Ho - 1) + 1, s)      # the Ho input rows tap kh reads
        for kw in range(KW):
            cols = slice(kw, kw + s * (Wo - 1) + 1, s)
            dw[kh, kw] = np.tensordot(xp[:, rows, cols, :], dy, axes=([0, 1, 2], [0, 1, 2]))
            dxp[:, rows, cols, :] += np.tensordot(dy, w[kh, kw], axes=([3], [1]))
    db = dy.sum(axis=(0, 1, 2))
    return dxp[:, p:p + H, p:p + W, :], dw, db
