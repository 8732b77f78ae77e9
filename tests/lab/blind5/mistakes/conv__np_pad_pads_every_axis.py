# expect: padded on every axis
# mistake: the input is padded with np.pad(x, padding), which pads all four axes (batch and channels too), so for padding > 0 the window shapes no longer match dy and w (it raises).
import numpy as np


def conv2d_forward(x, w, b, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    Ho, Wo = (H + 2 * p - KH) // s + 1, (W + 2 * p - KW) // s + 1
    y = np.empty((N, Ho, Wo, F))
    for n in range(N):  # batch
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                for f in range(F):  # kernels
                    acc = b[f]
                    for kh in range(KH):  # kernel rows
                        ih = oh * s - p + kh
                        if ih < 0 or ih >= H:  # a tap in the padding
                            continue
                        for kw in range(KW):  # kernel columns
                            iw = ow * s - p + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):  # input channels
                                acc += x[n, ih, iw, c] * w[kh, kw, c, f]
                    y[n, oh, ow, f] = acc
    return y


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    _, Ho, Wo, _ = dy.shape
    xp = np.pad(x, p)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for i in range(Ho):
        for j in range(Wo):
            r, c0 = i * s, j * s
            win = xp[:, r:r + KH, c0:c0 + KW, :]
            dw += np.einsum('nhwc,nf->hwcf', win, dy[:, i, j, :])
            dxp[:, r:r + KH, c0:c0 + KW, :] += np.einsum('hwcf,nf->nhwc', w, dy[:, i, j, :])
            db += dy[:, i, j, :].sum(axis=0)
    dx = dxp[:, p:p + H, p:p + W, :]
    return dx, dw, db
