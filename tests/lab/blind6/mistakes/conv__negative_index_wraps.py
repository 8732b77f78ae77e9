# expect: negative index wraps
# mistake: Only checks the upper bounds (ih >= H, iw >= W) when skipping padding taps, so taps in the top/left padding get negative indices that wrap around to the last rows/columns.
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
    Ho = (H + 2 * p - KH) // s + 1
    Wo = (W + 2 * p - KW) // s + 1
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros_like(w[0, 0, 0])
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                g = dy[n, oh, ow]              # (F,)
                db += g
                for kh in range(KH):
                    ih = oh * s - p + kh
                    if ih >= H:
                        continue
                    for kw in range(KW):
                        iw = ow * s - p + kw
                        if iw >= W:
                            continue
                        for c in range(C):
                            dw[kh, kw, c] += x[n, ih, iw, c] * g
                            dx[n, ih, iw, c] += np.dot(w[kh, kw, c], g)
    return dx, dw, db
