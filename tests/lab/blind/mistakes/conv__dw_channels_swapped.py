# expect: reshaped where a transpose belongs
# mistake: dw accumulated as w[kh, kw, f, c] (C and F swapped) then reshaped back to w's shape
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dx = np.zeros_like(x)
    dwt = np.zeros((KH, KW, F, C))
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
                                dwt[kh, kw, f, c] += dy[n, oh, ow, f] * x[n, ih, iw, c]
    return dx, dwt.reshape(w.shape), dy.sum(axis=(0, 1, 2))
