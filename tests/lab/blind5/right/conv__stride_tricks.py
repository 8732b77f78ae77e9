# right: windows of the padded input via numpy.lib.stride_tricks.as_strided, dw and db by einsum, dx by scattering per kernel tap into a padded buffer then cropping
import numpy as np
from numpy.lib.stride_tricks import as_strided


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
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C))
    xp[:, p:p + H, p:p + W, :] = x
    sn, sh, sw, sc = xp.strides
    win = as_strided(xp, shape=(N, Ho, Wo, KH, KW, C),
                     strides=(sn, sh * s, sw * s, sh, sw, sc), writeable=False)
    dw = np.einsum('nijklc,nijf->klcf', win, dy)
    db = dy.sum(axis=(0, 1, 2))
    dxp = np.zeros_like(xp)
    for kh in range(KH):
        for kw in range(KW):
            contrib = dy @ w[kh, kw].T  # (N, Ho, Wo, C)
            dxp[:, kh:kh + s * Ho:s, kw:kw + s * Wo:s, :] += contrib
    return dxp[:, p:p + H, p:p + W, :].copy(), dw, db
