# expect: missing batch sum
# mistake: db = dy.sum(axis=(1, 2)): summed over the pixels of each sample, shaped (N, F)
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
                        dx[n, ih, iw, :] += w[kh, kw] @ dy[n, oh, ow]
                        dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
    return dx, dw, dy.sum(axis=(1, 2))
