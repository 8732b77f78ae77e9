# expect: padding offset wrong
# mistake: backward on the padded input, cropped as [:H, :W] instead of [p:p+H, p:p+W]
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C))
    xp[:, p:p + H, p:p + W, :] = x
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for kh in range(KH):
                    for kw in range(KW):
                        for c in range(C):
                            for f in range(F):
                                dxp[n, oh * s + kh, ow * s + kw, c] += dy[n, oh, ow, f] * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += dy[n, oh, ow, f] * xp[n, oh * s + kh, ow * s + kw, c]
    return dxp[:, :H, :W, :], dw, dy.sum(axis=(0, 1, 2))
