# expect: wrong only where the case has a property
# mistake: dx gathered per input pixel with oh = (ih + p - kh) // s, the divisibility by the stride not checked
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for n in range(N):
        for ih in range(H):
            for iw in range(W):
                for kh in range(KH):
                    oh = (ih + p - kh) // s
                    if oh < 0 or oh >= Ho:
                        continue
                    for kw in range(KW):
                        ow = (iw + p - kw) // s
                        if ow < 0 or ow >= Wo:
                            continue
                        dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for kh in range(KH):
                    for kw in range(KW):
                        ih, iw = oh * s - p + kh, ow * s - p + kw
                        if 0 <= ih < H and 0 <= iw < W:
                            dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
    return dx, dw, dy.sum(axis=(0, 1, 2))
