# expect: unnamed
# mistake: dx accumulates dy times x (copy-pasted from the dw line) instead of dy times w
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
                        ih, iw = oh * s - p + kh, ow * s - p + kw
                        if 0 <= ih < H and 0 <= iw < W:
                            for c in range(C):
                                for f in range(F):
                                    dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
                                    dx[n, ih, iw, c] += dy[n, oh, ow, f] * x[n, ih, iw, c]
    return dx, dw, dy.sum(axis=(0, 1, 2))
