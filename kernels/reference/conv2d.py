"""2-D convolution (cross-correlation, as in Keras and PyTorch), NHWC layout, as plain loops.

Shapes: x (N, H, W, C) input, w (KH, KW, C, F) kernels, b (F,), y (N, Ho, Wo, F).
Stride (sh, sw); zero padding pt/pb rows above/below and pl/pr columns left/right.
    Ho = (H + pt + pb - KH) // sh + 1         (rows a stride leaves over are dropped)
    Wo = (W + pl + pr - KW) // sw + 1
These sizes travel together as one ConvGeometry g (kernels/conv_geometry.py).

Forward: output pixel (oh, ow) looks at input rows ih = oh*sh - pt + kh and columns
iw = ow*sw - pl + kw (taps that land in the padding read zero):
    y[n, oh, ow, f] = b[f] + sum_{kh, kw, c} x[n, ih, iw, c] * w[kh, kw, c, f]

Backward, given dy (N, Ho, Wo, F): every product x[n, ih, iw, c] * w[kh, kw, c, f]
above sends dy[n, oh, ow, f] back to both factors:
    dw[kh, kw, c, f] = sum_{n, oh, ow} dy[n, oh, ow, f] * x[n, oh*sh - pt + kh, ow*sw - pl + kw, c]
    dx[n, ih, iw, c] = sum over the (oh, ow, kh, kw) with oh*sh - pt + kh = ih and
                       ow*sw - pl + kw = iw of  dy[n, oh, ow, f] * w[kh, kw, c, f]   (summed over f)
    db[f]            = sum_{n, oh, ow} dy[n, oh, ow, f]
Padding taps have no input behind them, so they contribute to nothing; input pixels
that no window reaches (left over by the stride) get dx = 0.

These are the lab's signatures (python -m minigan lab start conv2d DIR): a student's file with
the same two functions takes their place in the readable engine (kernels/reference/engine.py).
"""

import numpy as np
from numba import njit

from kernels.conv_geometry import conv_geometry


def conv2d_forward(x, w, b, stride, padding):
    """x (N, H, W, C), w (KH, KW, C, F), b (F,) -> y (N, Ho, Wo, F)."""
    g = conv_geometry("conv2d_forward", x.shape, w.shape, stride, padding)
    return conv2d_forward_loops(x, w, b, g)


def conv2d_backward(dy, x, w, stride, padding):
    """dy (N, Ho, Wo, F) -> dx (N, H, W, C), dw (KH, KW, C, F), db (F,)."""
    g = conv_geometry("conv2d_backward", x.shape, w.shape, stride, padding)
    return conv2d_backward_loops(dy, x, w, g)


@njit(cache=True)
def conv2d_forward_loops(x, w, b, g):
    """y (N, Ho, Wo, F), the forward's sum above. The output channels f are the innermost loop:
    in NHWC both y's and w's rows run along f, so that loop walks memory in order."""
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    Ho, Wo, sh, sw, pt, pl = g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl
    y = np.empty((N, Ho, Wo, F), dtype=x.dtype)
    for n in range(N):  # batch
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                for f in range(F):  # output channels
                    y[n, oh, ow, f] = b[f]
                for kh in range(KH):  # kernel rows
                    ih = oh * sh - pt + kh
                    if ih < 0 or ih >= H:  # tap in the zero padding
                        continue
                    for kw in range(KW):  # kernel columns
                        iw = ow * sw - pl + kw
                        if iw < 0 or iw >= W:
                            continue
                        for c in range(C):  # input channels
                            for f in range(F):  # output channels
                                y[n, oh, ow, f] += x[n, ih, iw, c] * w[kh, kw, c, f]
    return y


@njit(cache=True)
def conv2d_backward_loops(dy, x, w, g):
    """dx, dw, db: the backward's sums above, f innermost as in the forward."""
    # forward was y[n, oh, ow, f] = b[f] + sum x[n, oh*sh-pt+kh, ow*sw-pl+kw, c] * w[kh, kw, c, f]
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    Ho, Wo, sh, sw, pt, pl = g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    db = np.zeros(F, dtype=x.dtype)
    for n in range(N):  # batch
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                for f in range(F):  # output channels: y depends on b[f] with slope 1
                    db[f] += dy[n, oh, ow, f]
                for kh in range(KH):  # kernel rows
                    ih = oh * sh - pt + kh
                    if ih < 0 or ih >= H:  # padding tap: nothing to send back to
                        continue
                    for kw in range(KW):  # kernel columns
                        iw = ow * sw - pl + kw
                        if iw < 0 or iw >= W:
                            continue
                        for c in range(C):  # input channels: each product x[n, ih, iw, c] * w[kh, kw, c, f], sent back
                            for f in range(F):  # to w: slope x[n, ih, iw, c]
                                dw[kh, kw, c, f] += dy[n, oh, ow, f] * x[n, ih, iw, c]
                            grad = dx.dtype.type(0)
                            for f in range(F):  # to x: slope w[kh, kw, c, f], summed over the channels it fed
                                grad += dy[n, oh, ow, f] * w[kh, kw, c, f]
                            dx[n, ih, iw, c] += grad
    return dx, dw, db
