# expect: mean where a sum belongs
# mistake: db divided by the batch size N (a mean over the batch, a sum over pixels)
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
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(KW):
                        iw = ow * s - p + kw
                        if iw < 0 or iw >= W:
                            continue
                        for c in range(C):
                            for f in range(F):
                                dx[n, ih, iw, c] += dy[n, oh, ow, f] * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
    db = dy.sum(axis=(0, 1, 2)) / N
    return dx, dw, db
