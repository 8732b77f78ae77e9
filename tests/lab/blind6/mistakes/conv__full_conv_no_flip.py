# expect: flipped kernel in dx
# mistake: Computes dx as a 'full' correlation of the stride-dilated, zero-padded dy with the kernel, but forgets to rotate the kernel by 180 degrees (uses w[kh, kw] instead of w[KH-1-kh, KW-1-kw]).
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
    _, Ho, Wo, _ = dy.shape
    db = dy.sum(axis=(0, 1, 2))

    # dw: correlate the padded input with dy, one kernel tap at a time
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dw = np.zeros_like(w)
    for kh in range(KH):
        for kw in range(KW):
            patch = xp[:, kh:kh + s * (Ho - 1) + 1:s, kw:kw + s * (Wo - 1) + 1:s, :]
            dw[kh, kw] = np.einsum('nhwc,nhwf->cf', patch, dy)

    # dx: transposed convolution = dilate dy by the stride, pad it by K-1, correlate with w
    Hd, Wd = s * (Ho - 1) + 1, s * (Wo - 1) + 1
    Hp, Wp = H + 2 * p, W + 2 * p
    dyp = np.zeros((N, Hp + KH - 1, Wp + KW - 1, F))
    dyp[:, KH - 1:KH - 1 + Hd:s, KW - 1:KW - 1 + Wd:s, :] = dy
    dxp = np.zeros((N, Hp, Wp, C))
    for kh in range(KH):
        for kw in range(KW):
            dxp += np.einsum('nhwf,cf->nhwc', dyp[:, kh:kh + Hp, kw:kw + Wp, :], w[kh, kw])
    dx = dxp[:, p:p + H, p:p + W, :]
    return dx, dw, db
