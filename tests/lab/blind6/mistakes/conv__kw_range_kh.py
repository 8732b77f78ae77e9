# expect: a loop over the wrong size
# mistake: The inner kernel-column loop runs over range(KH) instead of range(KW), so only square kernels are handled (taps are skipped when KW > KH and w is indexed out of range when KW < KH).
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
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                db += dy[n, oh, ow]
                for kh in range(KH):
                    ih = oh * s - p + kh
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(KH):
                        iw = ow * s - p + kw
                        if iw < 0 or iw >= W:
                            continue
                        # all channels at once: (C,) x (F,)
                        dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
                        dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
    return dx, dw, db
