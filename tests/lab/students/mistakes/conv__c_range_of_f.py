# expect: a loop over the wrong size
import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    dx, dw = np.zeros(x.shape), np.zeros(w.shape)
    for n in range(N):
        for oh in range(dy.shape[1]):
            for ow in range(dy.shape[2]):
                for kh in range(KH):
                    for kw in range(KW):
                        ih = oh * stride - padding + kh
                        iw = ow * stride - padding + kw
                        if 0 <= ih < H and 0 <= iw < W:
                            for c in range(F):
                                for f in range(F):
                                    dx[n, ih, iw, c] += dy[n, oh, ow, f] * w[kh, kw, c, f]
                                    dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
    return dx, dw, dy.sum(axis=(0, 1, 2))
