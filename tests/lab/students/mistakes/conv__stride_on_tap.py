# expect: stride applied to the tap
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
                        ih = (oh + kh) * stride - padding
                        iw = (ow + kw) * stride - padding
                        if 0 <= ih < H and 0 <= iw < W:
                            dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
                            dw[kh, kw] += np.outer(x[n, ih, iw], dy[n, oh, ow])
    return dx, dw, dy.sum(axis=(0, 1, 2))
