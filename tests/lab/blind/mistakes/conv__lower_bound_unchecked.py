# expect: negative index wraps
# mistake: only ih >= H and iw >= W are skipped: taps at -1 read and write the last row/column
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
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
                                dx[n, ih, iw, c] += dy[n, oh, ow, f] * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
    return dx, dw, dy.sum(axis=(0, 1, 2))
