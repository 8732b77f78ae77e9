# expect: output size computed wrong
# mistake: Ho, Wo computed as (H - KH) // s + 1, the padding left out: the last output rows never sent back
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    Ho, Wo = (H - KH) // s + 1, (W - KW) // s + 1
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
                        ih = oh * s - p + kh
                        if ih < 0 or ih >= H:
                            continue
                        for kw in range(KW):
                            iw = ow * s - p + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):
                                dx[n, ih, iw, c] += g * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += g * x[n, ih, iw, c]
    return dx, dw, db
