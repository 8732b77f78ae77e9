# expect: wrong only where the case has a property
# mistake: taps in the padding clamped to the border (min/max) instead of skipped
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
                    for kw in range(KW):
                        ih = min(max(oh * s - p + kh, 0), H - 1)
                        iw = min(max(ow * s - p + kw, 0), W - 1)
                        dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
                        dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
    return dx, dw, dy.sum(axis=(0, 1, 2))
