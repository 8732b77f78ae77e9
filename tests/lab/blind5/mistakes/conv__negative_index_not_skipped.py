# expect: negative index wraps
# mistake: the padding check only skips taps past the bottom/right edge (ih >= H, iw >= W); taps in the top/left padding have negative indices that numpy wraps to the last rows/columns, so they wrongly read and write x there.
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
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                db += dy[n, oh, ow]
                for kh in range(KH):
                    ih = oh * s - p + kh
                    if ih >= H:
                        continue
                    for kw in range(KW):
                        iw = ow * s - p + kw
                        if iw >= W:
                            continue
                        for c in range(C):
                            for f in range(F):
                                dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
                                dx[n, ih, iw, c] += dy[n, oh, ow, f] * w[kh, kw, c, f]
    return dx, dw, db
