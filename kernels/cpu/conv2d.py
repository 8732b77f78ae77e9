"""2-D convolution (cross-correlation, as in Keras and PyTorch), NHWC layout.

Shapes: x (N, H, W, C) input, w (KH, KW, C, F) kernels, b (F,), y (N, Ho, Wo, F).
Stride (sh, sw); zero padding pt/pb rows above/below and pl/pr columns left/right.
    Ho = (H + pt + pb - KH) // sh + 1         (rows a stride leaves over are dropped)
    Wo = (W + pl + pr - KW) // sw + 1
These sizes travel together as one ConvGeometry g (kernels/conv_geometry.py), resolved
from the public stride and padding arguments once, by check_conv2d.

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

Two variants:
- ``*_reference``: the sums above as plain loops.
- ``*_fast`` (used by ``conv2d_forward`` / ``conv2d_backward``): im2col. Each output
  pixel's receptive field is copied into one row of a matrix ``cols``
  (N*Ho*Wo, KH*KW*C); the convolution then is one GEMM, y = cols @ w.reshape(KH*KW*C, F),
  and the backward is two GEMMs, dw = cols.T @ dy and dcols = dy @ w.T, followed by
  col2im, which adds every row of dcols back onto the input pixels it was copied from
  (overlapping windows, stride < kernel, add up there). Faster by measurement
  (``benchmarks/``), tested equal to the reference.

The public functions take an optional activation (relu, leaky_relu), applied together with
the bias in one pass after the GEMM (kernels/cpu/epilogue.py): y = act(conv(x, w) + b), and
in the backward the formulas above are applied to dpre = dy * act'(.) instead of dy. A
spectrally normalised layer (kernels/cpu/spectral_norm.py) passes sigma, and the same pass
divides by it, as in kernels/cpu/dense.py: y = act(conv(x, w) / sigma + b), and dx, dw from
dpre / sigma, so w / sigma is never written out.

With out_block=B the forward writes y in B x B blocks, (N, Ho/B, Wo/B, B*B*F), and the
backward takes dy (and y) so (kernels/conv_geometry.py): only the order of the GEMM's rows
changes (row_of), so every formula above holds row by row. The next layer, whose kernel and
stride are B, is then a 1 x 1 convolution over the blocks, its im2col a reshape.
"""

import numpy as np
from numba import njit, prange

from kernels.checks import check_activation_output, check_cols, check_conv2d, check_upstream
from kernels.cpu.epilogue import (
    LINEAR,
    activation_backward_and_bias_grad,
    activation_code,
    bias_activation_forward,
    scale_of,
)
from kernels.cpu.gemm import gemm_into
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size
from kernels.conv_geometry import cols_are_the_input, output_shape


@njit(cache=True)
def conv2d_forward_loops(x, w, b, g):
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
                                y[n, oh, ow, f] += x[n, ih, iw, c] * w[kh, kw, c, f]
    return y


@njit(cache=True)
def conv2d_backward_loops(dy, x, w, g):
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
                for f in range(F):  # output channels
                    g = dy[n, oh, ow, f]
                    db[f] += g
                    for kh in range(KH):  # kernel rows
                        ih = oh * sh - pt + kh
                        if ih < 0 or ih >= H:  # padding tap: nothing to send back to
                            continue
                        for kw in range(KW):  # kernel columns
                            iw = ow * sw - pl + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):  # input channels
                                dx[n, ih, iw, c] += g * w[kh, kw, c, f]
                                dw[kh, kw, c, f] += g * x[n, ih, iw, c]
    return dx, dw, db


GATHER, SCATTER_ADD, SCATTER_SET = 0, 1, 2  # _patches' modes: im2col; col2im; col2im when windows tile
TAP_COST = 16  # a window tap's index work, in channel copies: what makes conv1's C = 1 loops dear
PATCHES_PARALLEL_MIN = 1_500_000  # taps * (C + TAP_COST); below, the serial build is faster (docs/speed.md)


def patches_work(images, cols, g, mode):
    """_patches' cost: every tap of every window, each a fixed index cost plus C copies."""
    return images.shape[0] * g.Ho * g.Wo * g.KH * g.KW * (images.shape[3] + TAP_COST)


@njit(cache=True)
def row_of(n, oh, ow, g):
    """The row of cols (and of the output) for output pixel (n, oh, ow): (n*Ho + oh)*Wo + ow, or
    with out_block B the pixels of each B x B block side by side (kernels/conv_geometry.py)."""
    B = g.B
    return ((n * (g.Ho // B) + oh // B) * (g.Wo // B) + ow // B) * (B * B) + (oh % B) * B + ow % B


@by_size(work=patches_work, min_work=PATCHES_PARALLEL_MIN)
def _patches(images, cols, g, mode):
    """Walk every (output pixel, kernel tap, channel) once. GATHER copies images -> cols
    (im2col); SCATTER_ADD adds cols -> images (col2im, its adjoint); SCATTER_SET writes them,
    for windows that tile the image (each pixel in exactly one window, so nothing to add
    to and no need for a zeroed array). One loop nest for all three, so the index map is
    written once: row r = row_of(n, oh, ow), column (kh*KW + kw)*C + c."""
    N, H, W, C = images.shape
    KH, KW, Ho, Wo, sh, sw, pt, pl = g.KH, g.KW, g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl
    for n in prange(N):  # batch, split over threads: sample n owns its rows and its pixels
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                r = row_of(n, oh, ow, g)
                for kh in range(KH):  # kernel rows
                    ih = oh * sh - pt + kh
                    if ih < 0 or ih >= H:  # padding: cols keep their zero, nothing flows back
                        continue
                    for kw in range(KW):  # kernel columns
                        iw = ow * sw - pl + kw
                        if iw < 0 or iw >= W:
                            continue
                        k0 = (kh * KW + kw) * C
                        for c in range(C):  # input channels
                            if mode == GATHER:
                                cols[r, k0 + c] = images[n, ih, iw, c]
                            elif mode == SCATTER_ADD:
                                images[n, ih, iw, c] += cols[r, k0 + c]
                            else:
                                images[n, ih, iw, c] = cols[r, k0 + c]


@njit(cache=True)
def taps_inside(g):
    """No tap of any window lands in the padding: im2col then writes every entry of cols, so
    cols need not be zeroed first (im2col about 2.6x faster for D's conv2: docs/speed.md)."""
    return g.pt == 0 and g.pl == 0 and (g.Ho - 1) * g.sh + g.KH <= g.H and (g.Wo - 1) * g.sw + g.KW <= g.W


@njit(cache=True)
def windows_tile(g):
    """The windows cover the image exactly once (stride = kernel, nothing left over, no
    padding: D's conv2 on 9x9): col2im then writes each pixel once (about 2x faster: docs/speed.md)."""
    return taps_inside(g) and g.sh == g.KH and g.sw == g.KW and g.Ho * g.KH == g.H and g.Wo * g.KW == g.W


def im2col_into(x, g, cols):
    """x (N, H, W, C) -> cols (N*Ho*Wo, KH*KW*C), written over: row row_of(n, oh, ow) holds the
    receptive field of output pixel (n, oh, ow) in (kh, kw, c) order, zeros for padding."""
    if not taps_inside(g):
        cols[:] = 0  # the padding taps are never written
    _patches(x, cols, g, GATHER)


def col2im_into(dcols, g, dx):
    """The adjoint of im2col: dcols (N*Ho*Wo, KH*KW*C) -> dx (N, H, W, C), written over,
    adding each entry back onto the input pixel it was copied from (overlapping windows sum)."""
    if windows_tile(g):
        _patches(dx, dcols, g, SCATTER_SET)
        return
    dx[:] = 0
    _patches(dx, dcols, g, SCATTER_ADD)


def im2col(x, g, out=None):
    """x's im2col matrix (N*Ho*Wo, KH*KW*C) in a Workspace buffer ("conv2d.cols") or a fresh
    array; a view of x itself when each window is one pixel's row (cols_are_the_input)."""
    N, H, W, C = x.shape
    if cols_are_the_input(g):
        return x.reshape(N * g.Ho * g.Wo, g.KH * g.KW * C)  # C-contiguous: no copy
    cols = buffer(out, "conv2d.cols", (N * g.Ho * g.Wo, g.KH * g.KW * C), x.dtype)
    im2col_into(x, g, cols)
    return cols


def col2im(dcols, x_shape, g, out=None):
    """dcols back onto the image: dx (N, H, W, C) in a Workspace buffer ("conv2d.dx") or a fresh
    array; dcols itself, reshaped, when each window is one pixel's row."""
    if cols_are_the_input(g):
        return dcols.reshape(x_shape)  # every entry has exactly one pixel, in memory order
    dx = buffer(out, "conv2d.dx", x_shape, dcols.dtype)
    col2im_into(dcols, g, dx)
    return dx


def conv2d_forward_fast(x, w, b, g, act=LINEAR, alpha=0.0, sigma=None, out=None):
    """-> (y, cols): act(conv(x, w) / sigma + b) by im2col and one GEMM, then the scale, bias and
    activation in one pass (kernels/cpu/epilogue.py) over the (N*Ho*Wo, F) output; and the im2col
    matrix, which the weight gradient needs again. out: a Workspace for y ("conv2d.y") and cols, or None."""
    KH, KW, C, F = w.shape
    cols = im2col(x, g, out)  # (N*Ho*Wo, KH*KW*C)
    y = buffer(out, "conv2d.y", output_shape(g, x.shape[0], F), x.dtype)
    h = y.reshape(-1, F)  # (N*Ho*Wo, F), row row_of(n, oh, ow)
    gemm_into(cols, w.reshape(KH * KW * C, F), h)
    bias_activation_forward(h, b, act, alpha, scale_of(sigma, x.dtype))
    return y, cols


def conv2d_backward_fast(dy, x, w, g, y=None, act=LINEAR, alpha=0.0, sigma=None, input_grad=True, param_grads=True,
                         cols=None, out=None):
    """dy through the activation (read off the forward's output y) and into db in one pass, which
    also divides by sigma; then the two GEMMs: dw from the forward's cols (rebuilt when not
    given), dx through col2im.
    out: a Workspace for dx, dw, the temporaries dcols ("conv2d.dcols") and the epilogue's, or None."""
    KH, KW, C, F = w.shape
    K = KH * KW * C
    dpre, db = activation_backward_and_bias_grad(dy.reshape(-1, F), None if y is None else y.reshape(-1, F), act,
                                                 alpha, scale_of(sigma, x.dtype), out)  # dpre / sigma, (F,)
    dx = None
    if input_grad:
        dcols = buffer(out, "conv2d.dcols", (dpre.shape[0], K), dy.dtype)
        gemm_into(dpre, w.reshape(K, F).T, dcols)  # (N*Ho*Wo, F) @ (F, K)
        dx = col2im(dcols, x.shape, g, out)
    if not param_grads:
        return dx, None, None
    if cols is None:
        cols = im2col(x, g, out)
    dw = buffer(out, "conv2d.dw", w.shape, w.dtype)
    gemm_into(cols.T, dpre, dw.reshape(K, F))  # (K, N*Ho*Wo) @ (N*Ho*Wo, F)
    return dx, dw, db


def conv2d_forward_with_cols(x, w, b, stride, padding, activation=None, alpha=0.2, sigma=None, out_block=1, out=None):
    """-> (y, cols): y as conv2d_forward, and the im2col matrix it multiplied, (N*Ho*Wo,
    KH*KW*C). A layer that keeps cols hands it to conv2d_backward(cols=...), which then takes
    dw = cols.T @ dpre without rebuilding it (docs/speed.md has what that saves)."""
    act = activation_code("conv2d_forward", activation, alpha)
    g = check_conv2d("conv2d_forward", x, w, b, stride, padding, out_block)
    x, w, b = np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b)
    return conv2d_forward_fast(x, w, b, g, act, alpha, sigma, out)


def conv2d_forward(x, w, b, stride, padding, activation=None, alpha=0.2, sigma=None, out_block=1, out=None):
    """y = act(conv(x, w) + b), or with sigma act(conv(x, w) / sigma + b).  x (N, H, W, C),
    w (KH, KW, C, F), b (F,) -> y (N, Ho, Wo, F).

    stride: int or (sh, sw); padding: int, (ph, pw), 'valid' or 'same'; activation: None
    (linear), 'relu' or 'leaky_relu' (slope alpha below 0), fused with the bias; sigma:
    spectral_norm_forward's, for a layer that multiplies by w / sigma, or None; out_block: B > 1
    writes y in B x B blocks, (N, Ho/B, Wo/B, B*B*F), the im2col matrix of a next layer with
    kernel = stride = B (kernels/conv_geometry.py).  Fast variant.
    out: a Workspace (kernels/workspace.py) that y and the im2col matrix are taken from and that
    the next call overwrites, or None for fresh arrays.
    """
    return conv2d_forward_with_cols(x, w, b, stride, padding, activation, alpha, sigma, out_block, out)[0]


def conv2d_backward(dy, x, w, stride, padding, input_grad=True, param_grads=True, y=None, activation=None,
                    alpha=0.2, cols=None, sigma=None, out_block=1, out=None):
    """dy (N, Ho, Wo, F), x, w as in the forward -> dx (N, H, W, C), dw (KH, KW, C, F), db (F,).

    Formulas in the module docstring, applied to dpre = dy * act'(.) (dy itself when linear;
    with an activation, y is the forward's output, act' is read off it).  Fast variant.
    input_grad / param_grads as in dense_backward: a skipped gradient is None and costs nothing.
    cols: the forward's im2col matrix (conv2d_forward_with_cols), reused for dw if given.
    sigma: the forward's, if it had one: dx and dw then use dpre / sigma (dw is dL/dw with sigma
    held fixed, as in dense_backward).
    out_block: the forward's; dy (and y) then come in its blocks, (N, Ho/B, Wo/B, B*B*F).
    out: a Workspace for the gradients and the temporaries, or None, as in conv2d_forward.
    """
    act = activation_code("conv2d_backward", activation, alpha)
    g = check_conv2d("conv2d_backward", x, w, None, stride, padding, out_block)
    check_upstream("conv2d_backward", dy, output_shape(g, x.shape[0], w.shape[3]), x.dtype)
    if check_activation_output("conv2d_backward", activation, y, dy) is not None:
        y = np.ascontiguousarray(y)
    check_cols("conv2d_backward", cols, x, w, g.Ho, g.Wo)
    if cols is not None:
        cols = np.ascontiguousarray(cols)
    dy, x, w = np.ascontiguousarray(dy), np.ascontiguousarray(x), np.ascontiguousarray(w)
    return conv2d_backward_fast(dy, x, w, g, y, act, alpha, sigma, input_grad, param_grads, cols, out)


def conv2d_forward_reference(x, w, b, stride, padding):
    """The readable variant of conv2d_forward (no activation), checked. Same contract as
    kernels.cuda.conv2d_forward_reference."""
    g = check_conv2d("conv2d_forward_reference", x, w, b, stride, padding)
    return conv2d_forward_loops(np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b), g)


def conv2d_backward_reference(dy, x, w, stride, padding, input_grad=True, param_grads=True):
    """The readable variant of conv2d_backward (no activation) -> dx, dw, db; a skipped gradient is None."""
    g = check_conv2d("conv2d_backward_reference", x, w, None, stride, padding)
    check_upstream("conv2d_backward_reference", dy, (x.shape[0], g.Ho, g.Wo, w.shape[3]), x.dtype)
    dx, dw, db = conv2d_backward_loops(np.ascontiguousarray(dy), np.ascontiguousarray(x), np.ascontiguousarray(w), g)
    return (dx if input_grad else None), (dw if param_grads else None), (db if param_grads else None)
