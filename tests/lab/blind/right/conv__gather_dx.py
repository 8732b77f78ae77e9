# right: dx gathered per input pixel (which (oh, kh) reach ih), dw and db scattered as the forward
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dx = np.zeros_like(x)
    for n in range(N):
        for ih in range(H):
            for iw in range(W):
                for kh in range(KH):
                    if (ih + p - kh) % s != 0:
                        continue
                    oh = (ih + p - kh) // s
                    if oh < 0 or oh >= Ho:
                        continue
                    for kw in range(KW):
                        if (iw + p - kw) % s != 0:
                            continue
                        ow = (iw + p - kw) // s
                        if ow < 0 or ow >= Wo:
                            continue
                        dx[n, ih, iw, :] += w[kh, kw] @ dy[n, oh, ow]
    dw = np.zeros_like(w)
    for kh in range(KH):
        for kw in range(KW):
            for oh in range(Ho):
                ih = oh * s - p + kh
                if ih < 0 or ih >= H:
                    continue
                for ow in range(Wo):
                    iw = ow * s - p + kw
                    if iw < 0 or iw >= W:
                        continue
                    dw[kh, kw] += x[:, ih, iw, :].T @ dy[:, oh, ow, :]
    return dx, dw, dy.sum(axis=(0, 1, 2))
