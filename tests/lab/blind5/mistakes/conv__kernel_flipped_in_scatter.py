# expect: flipped kernel in dx
# mistake: remembering that "the backward of a convolution uses the flipped kernel", it scatters dy back to x with w[KH-1-kh, KW-1-kw] in the same loop that walks the forward's taps, where the unflipped w[kh, kw] is needed.
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
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = dy.sum(axis=(0, 1, 2))
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for kh in range(KH):
                    ih = oh * s - p + kh
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(KW):
                        iw = ow * s - p + kw
                        if iw < 0 or iw >= W:
                            continue
                        # gradient w.r.t. the weights: input times upstream
                        dw[kh, kw, :, :] += np.outer(x[n, ih, iw, :], dy[n, oh, ow, :])
                        # gradient w.r.t. the input: convolve with the flipped kernel
                        dx[n, ih, iw, :] += w[KH - 1 - kh, KW - 1 - kw, :, :] @ dy[n, oh, ow, :]
    return dx, dw, db
