# expect: stride not applied
# mistake: dx's input row is oh - p + kh: the stride left out of dx (dw has it)
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = dy.sum(axis=(0, 1, 2))
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for f in range(F):
                    g = dy[n, oh, ow, f]
                    for kh in range(KH):
                        for kw in range(KW):
                            ih, iw = oh * s - p + kh, ow * s - p + kw
                            if 0 <= ih < H and 0 <= iw < W:
                                for c in range(C):
                                    dw[kh, kw, c, f] += g * x[n, ih, iw, c]
                            jh, jw = oh - p + kh, ow - p + kw
                            if 0 <= jh < H and 0 <= jw < W:
                                for c in range(C):
                                    dx[n, jh, jw, c] += g * w[kh, kw, c, f]
    return dx, dw, db
