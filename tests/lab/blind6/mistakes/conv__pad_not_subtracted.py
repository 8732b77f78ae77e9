# expect: padding offset wrong
# mistake: Maps output position and kernel tap to the input index as oh*stride + kh (and ow*stride + kw) without subtracting the padding, so every tap is shifted by p whenever padding > 0.
"""minigan lab: the convolution's backward, with stride and padding.

Forward (given), NHWC as Keras (a cross-correlation, as every framework computes it):
    x (N, H, W, C)     input
    w (KH, KW, C, F)   F kernels
    b (F,)
    stride s, padding p: ints; p rows/columns of zeros on every side
    y (N, Ho, Wo, F),  Ho = (H + 2p - KH) // s + 1,  Wo = (W + 2p - KW) // s + 1
    y[n, oh, ow, f] = b[f] + sum_{kh, kw, c} x[n, oh*s - p + kh, ow*s - p + kw, c] * w[kh, kw, c, f]
(taps that land in the padding read zero).

Write conv2d_backward(dy, x, w, stride, padding) -> (dx, dw, db), shaped like x, w, b.

Hints (no answers):
- Walk the same loops as the forward. Each product x[...] * w[...] in the sum above sends
  dy[n, oh, ow, f] back to both of its factors.
- Taps in the padding had no input behind them: they send nothing back, and dx has the
  shape of x, not of the padded x.
- Input pixels that no window reached (left over by the stride) get a zero gradient.

Check your work with
    python -m minigan lab check conv2d THIS_FILE
"""

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
    _, Ho, Wo, _ = dy.shape
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for f in range(F):
                    g = dy[n, oh, ow, f]
                    db[f] += g
                    for kh in range(KH):
                        ih = oh * stride + kh
                        if ih < 0 or ih >= H:
                            continue
                        for kw in range(KW):
                            iw = ow * stride + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):
                                dx[n, ih, iw, c] += g * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += g * x[n, ih, iw, c]
    return dx, dw, db
