# expect: stride not applied
# mistake: the backward computes the input row/column as oh - p + kh and ow - p + kw, leaving out the stride factor, so for stride > 1 dx and dw read and write the wrong input pixels.
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
    s, p = stride, padding  # noqa: F841  (the mistake: s is never used)
    _, Ho, Wo, _ = dy.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for f in range(F):
                    g = dy[n, oh, ow, f]
                    db[f] += g
                    for kh in range(KH):
                        ih = oh - p + kh
                        if ih < 0 or ih >= H:
                            continue
                        for kw in range(KW):
                            iw = ow - p + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):
                                dw[kh, kw, c, f] += g * x[n, ih, iw, c]
                                dx[n, ih, iw, c] += g * w[kh, kw, c, f]
    return dx, dw, db
