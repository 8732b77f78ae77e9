# expect: a loop over the wrong size
import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    for n in range(N):
        for oh in range(dy.shape[1]):
            for ow in range(dy.shape[2]):
                for kh in range(KH):
                    for kw in range(KW):
                        ih = oh * s - p + kh
                        iw = ow * s - p + kw
                        if 0 <= ih < H and 0 <= iw < W:
                            dx[n, ih, iw] += w[kw, kh] @ dy[n, oh, ow]
                        jh = oh * s - p + kh
                        jw = ow * s - p + kw
                        if 0 <= jh < H and 0 <= jw < W:
                            dw[kh, kw] += np.outer(x[n, jh, jw], dy[n, oh, ow])
    return dx, dw, dy.sum(axis=(0, 1, 2))
