# expect: transposed
# mistake: Computes dw from sliding windows with np.einsum('nhwcji,nhwf->ijcf', ...), labelling the window's (kh, kw) axes in the wrong order, so dw comes out with its two kernel axes transposed.
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


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
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    # windows: (N, Ho, Wo, C, KH, KW)
    win = sliding_window_view(xp, (KH, KW), axis=(1, 2))[:, ::s, ::s][:, :Ho, :Wo]
    dw = np.einsum('nhwcji,nhwf->ijcf', win, dy)
    db = dy.sum(axis=(0, 1, 2))
    dxp = np.zeros(xp.shape)
    for i in range(KH):
        for j in range(KW):
            dxp[:, i:i + s * (Ho - 1) + 1:s, j:j + s * (Wo - 1) + 1:s, :] += np.einsum('nhwf,cf->nhwc', dy, w[i, j])
    return dxp[:, p:p + H, p:p + W, :], dw, db
