# expect: padding cropped with [p:-p]
# mistake: Accumulates dx in a padded buffer and crops it with dxp[:, p:-p, p:-p, :], which is empty when padding is 0, so dx has the wrong shape for unpadded convolutions.
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
    s, p = stride, padding
    KH, KW = w.shape[:2]
    Ho, Wo = dy.shape[1:3]
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for oh in range(Ho):
        for ow in range(Wo):
            h0, w0 = oh * s, ow * s
            g = dy[:, oh, ow, :]                           # (N, F)
            window = xp[:, h0:h0 + KH, w0:w0 + KW, :]      # (N, KH, KW, C)
            dw += np.einsum('nijc,nf->ijcf', window, g)
            dxp[:, h0:h0 + KH, w0:w0 + KW, :] += np.einsum('nf,ijcf->nijc', g, w)
    db = dy.sum(axis=(0, 1, 2))
    dx = dxp[:, p:-p, p:-p, :]   # strip the padding
    return dx, dw, db
