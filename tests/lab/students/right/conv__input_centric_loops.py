import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    Ho, Wo = dy.shape[1], dy.shape[2]
    dx = np.zeros(x.shape)
    for n in range(N):
        for ih in range(H):
            for iw in range(W):
                for kh in range(KH):
                    if (ih + p - kh) % s:
                        continue
                    oh = (ih + p - kh) // s
                    if oh < 0 or oh >= Ho:
                        continue
                    for kw in range(KW):
                        if (iw + p - kw) % s:
                            continue
                        ow = (iw + p - kw) // s
                        if ow < 0 or ow >= Wo:
                            continue
                        dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
    dw = np.zeros(w.shape)
    for kh in range(KH):
        for kw in range(KW):
            for oh in range(Ho):
                for ow in range(Wo):
                    ih, iw = oh * s - p + kh, ow * s - p + kw
                    if 0 <= ih < H and 0 <= iw < W:
                        dw[kh, kw] += x[:, ih, iw].T @ dy[:, oh, ow]
    return dx, dw, dy.sum(axis=(0, 1, 2))
