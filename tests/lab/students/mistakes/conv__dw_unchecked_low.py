# expect: negative index wraps
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
                        if ih >= H or iw >= W:
                            continue
                        dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
                        if ih >= 0 and iw >= 0:
                            dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
    return dx, dw, dy.sum(axis=(0, 1, 2))
