# expect: db summed once per tap
import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    _, Ho, Wo, _ = dy.shape
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for f in range(F):
                    g = dy[n, oh, ow, f]
                    pass
                    for kh in range(KH):
                        for kw in range(KW):
                            ih = oh * s - p + kh
                            iw = ow * s - p + kw
                            if ih < 0 or ih >= H or iw < 0 or iw >= W:
                                continue
                            db[f] += g
                            for c in range(C):
                                dx[n, ih, iw, c] += g * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += g * x[n, ih, iw, c]
    return dx, dw, db
