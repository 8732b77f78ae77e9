# expect: a loop over the wrong size
# mistake: Recomputes the output width as (H + 2p - KW)//s + 1, using the input height H instead of the width W, so it indexes past dy or skips columns whenever H != W.
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
    s, p = stride, padding
    Ho = (H + 2 * p - KH) // s + 1
    Wo = (H + 2 * p - KW) // s + 1
    dx = np.zeros((N, H, W, C))
    dw = np.zeros((KH, KW, C, F))
    db = np.zeros(F)
    for n in range(N):
        for oh in range(Ho):
            for ow in range(Wo):
                for f in range(F):
                    db[f] += dy[n, oh, ow, f]
                for kh in range(KH):
                    ih = oh * s - p + kh
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(KW):
                        iw = ow * s - p + kw
                        if iw < 0 or iw >= W:
                            continue
                        for c in range(C):
                            for f in range(F):
                                dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
                                dx[n, ih, iw, c] += dy[n, oh, ow, f] * w[kh, kw, c, f]
    return dx, dw, db
