# expect: padding cropped with [p:-p]
# mistake: the padded gradient is cropped with dxp[:, p:-p, p:-p, :], which is an empty slice when padding == 0 (since -0 == 0).
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
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode='constant')
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for oh in range(Ho):
        for ow in range(Wo):
            patch = xp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :]      # (N, KH, KW, C)
            g = dy[:, oh, ow, :]                                          # (N, F)
            dw += np.einsum('nijc,nf->ijcf', patch, g)
            dxp[:, oh * s:oh * s + KH, ow * s:ow * s + KW, :] += np.einsum('nf,ijcf->nijc', g, w)
    db = dy.sum(axis=(0, 1, 2))
    dx = dxp[:, p:-p, p:-p, :]
    return dx, dw, db
