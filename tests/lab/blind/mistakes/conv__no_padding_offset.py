# expect: padding offset wrong
# mistake: the input row is oh*s + kh, the padding's -p offset forgotten (bounds still checked)
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s = stride
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for f in range(F):
                    g = dy[n, oh, ow, f]
                    db[f] += g
                    for kh in range(KH):
                        ih = oh * s + kh
                        if ih >= H:
                            continue
                        for kw in range(KW):
                            iw = ow * s + kw
                            if iw >= W:
                                continue
                            for c in range(C):
                                dx[n, ih, iw, c] += g * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += g * x[n, ih, iw, c]
    return dx, dw, db
