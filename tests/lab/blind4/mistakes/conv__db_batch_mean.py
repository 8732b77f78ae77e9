# expect: mean where a sum belongs
# mistake: db summed over the pixels, then averaged over the batch
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
                            dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
                            dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
    return dx, dw, dy.sum(axis=(1, 2)).mean(axis=0)
