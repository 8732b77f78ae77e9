"""2-D convolution on the GPU, NHWC (math and index conventions: kernels/cpu/conv2d.py).

Two variants, both tested against the CPU kernels:
- the readable variant (``*_reference``), direct: one thread per output element. Forward: a thread per y[n, oh, ow, f]
  sums its window. Backward: a thread per dx[n, ih, iw, c] gathers every (oh, ow, kh, kw)
  with oh*sh - pt + kh = ih and ow*sw - pl + kw = iw (no atomics: each thread owns its
  output); a thread per dw[kh, kw, c, f] sums over the batch and output pixels.
- im2col + tiled GEMM (the default): the same three matrices as on the CPU,
  cols (N*Ho*Wo, KH*KW*C), one tiled GEMM forward and two backward, col2im as a gather.
  Given spectral norm's sigma, the three GEMMs divide by it as they write (w / sigma is
  never formed).
Every kernel takes the convolution's ConvGeometry g (kernels/conv_geometry.py); a launch
passes its thirteen ints. With out_block B > 1 the output's rows come in B x B blocks (row_of,
pixel_of), as on the CPU; when every window is one pixel's row (cols_are_the_input) cols is x
reshaped and col2im dcols reshaped, no launch.
"""

from numba import cuda

from kernels.checks import (
    check_activation,
    check_activation_output,
    check_cols,
    check_conv2d,
    check_upstream,
)
from kernels.conv_geometry import cols_are_the_input, output_shape
from kernels.cuda.epilogue import activation_backward, activation_forward
from kernels.cuda.gemm import column_sums, gemm_tiled
from kernels.cuda.launch import device_empty, grid_1d
from kernels.cuda.memory import buffer


@cuda.jit(device=True)
def unravel4(i, shape):
    """The NHWC-style index (a, b, c, d) of flat position i in a C-ordered 4-D array."""
    d = i % shape[3]
    c = (i // shape[3]) % shape[2]
    b = (i // (shape[3] * shape[2])) % shape[1]
    return i // (shape[3] * shape[2] * shape[1]), b, c, d


@cuda.jit(device=True)
def window_of(i_in, pad, k, stride, n_out):
    """The output position whose tap k lands on input position i_in (o*stride - pad + k = i_in),
    or -1 if there is none (between strides, or past the output's edge)."""
    t = i_in + pad - k
    if t < 0 or t % stride != 0 or t // stride >= n_out:
        return -1
    return t // stride


@cuda.jit(device=True)
def row_of(n, oh, ow, g):
    """cols' row for output pixel (n, oh, ow), as kernels/cpu/conv2d.py's row_of."""
    B = g.B
    return ((n * (g.Ho // B) + oh // B) * (g.Wo // B) + ow // B) * (B * B) + (oh % B) * B + ow % B


@cuda.jit(device=True)
def pixel_of(r, g):
    """row_of's inverse: the output pixel (n, oh, ow) of cols' row r."""
    B = g.B
    block, t = r // (B * B), r % (B * B)
    Wb, Hb = g.Wo // B, g.Ho // B
    return block // (Wb * Hb), (block // Wb) % Hb * B + t // B, block % Wb * B + t % B


@cuda.jit
def _forward_direct(x, w, b, g, y):
    i = cuda.grid(1)
    if i < y.size:
        n, oh, ow, f = unravel4(i, y.shape)
        C = x.shape[3]
        acc = b[f]
        for kh in range(g.KH):
            ih = oh * g.sh - g.pt + kh
            if ih < 0 or ih >= g.H:
                continue
            for kw in range(g.KW):
                iw = ow * g.sw - g.pl + kw
                if iw < 0 or iw >= g.W:
                    continue
                for c in range(C):
                    acc += x[n, ih, iw, c] * w[kh, kw, c, f]
        y[n, oh, ow, f] = acc


@cuda.jit
def _dx_direct(dy, w, g, dx):
    i = cuda.grid(1)
    if i < dx.size:
        n, ih, iw, c = unravel4(i, dx.shape)  # this thread owns dx[n, ih, iw, c] and gathers
        F = dy.shape[3]
        acc = dx.dtype.type(0)
        for kh in range(g.KH):
            oh = window_of(ih, g.pt, kh, g.sh, g.Ho)
            if oh < 0:
                continue
            for kw in range(g.KW):
                ow = window_of(iw, g.pl, kw, g.sw, g.Wo)
                if ow < 0:
                    continue
                for f in range(F):
                    acc += dy[n, oh, ow, f] * w[kh, kw, c, f]
        dx[n, ih, iw, c] = acc


@cuda.jit
def _dw_direct(dy, x, g, dw):
    i = cuda.grid(1)
    if i < dw.size:
        kh, kw, c, f = unravel4(i, dw.shape)
        acc = dw.dtype.type(0)
        for n in range(x.shape[0]):
            for oh in range(g.Ho):
                ih = oh * g.sh - g.pt + kh
                if ih < 0 or ih >= g.H:
                    continue
                for ow in range(g.Wo):
                    iw = ow * g.sw - g.pl + kw
                    if iw < 0 or iw >= g.W:
                        continue
                    acc += dy[n, oh, ow, f] * x[n, ih, iw, c]
        dw[kh, kw, c, f] = acc


@cuda.jit
def _im2col(x, g, cols):
    i = cuda.grid(1)
    if i < cols.size:
        K = cols.shape[1]
        C = x.shape[3]
        r, k = i // K, i % K  # cols[r, k]: r = row_of(n, oh, ow), k = (kh*KW + kw)*C + c
        n, oh, ow = pixel_of(r, g)
        c, kw, kh = k % C, (k // C) % g.KW, k // (C * g.KW)
        ih = oh * g.sh - g.pt + kh
        iw = ow * g.sw - g.pl + kw
        inside = ih >= 0 and ih < g.H and iw >= 0 and iw < g.W
        cols[r, k] = x[n, ih, iw, c] if inside else x.dtype.type(0)


@cuda.jit
def _col2im(dcols, g, dx):
    i = cuda.grid(1)
    if i < dx.size:
        n, ih, iw, c = unravel4(i, dx.shape)  # dx[n, ih, iw, c] gathers the entries copied from it
        C = dx.shape[3]
        acc = dx.dtype.type(0)
        for kh in range(g.KH):
            oh = window_of(ih, g.pt, kh, g.sh, g.Ho)
            if oh < 0:
                continue
            for kw in range(g.KW):
                ow = window_of(iw, g.pl, kw, g.sw, g.Wo)
                if ow < 0:
                    continue
                acc += dcols[row_of(n, oh, ow, g), (kh * g.KW + kw) * C + c]
        dx[n, ih, iw, c] = acc


def _launch(kernel, out, *args):
    blocks, threads = grid_1d(out.size)
    kernel[blocks, threads](*args, out)
    return out


def conv2d_forward_reference(x, w, b, stride, padding):
    g = check_conv2d("conv2d_forward", x, w, b, stride, padding)
    y = device_empty((x.shape[0], g.Ho, g.Wo, w.shape[3]), x.dtype)
    return _launch(_forward_direct, y, x, w, b, g)


def conv2d_backward_reference(dy, x, w, stride, padding, input_grad=True, param_grads=True):
    g = check_conv2d("conv2d_backward", x, w, None, stride, padding)
    check_upstream("conv2d_backward", dy, (x.shape[0], g.Ho, g.Wo, w.shape[3]), x.dtype)
    dx = _launch(_dx_direct, device_empty(x.shape, x.dtype), dy, w, g) if input_grad else None
    if not param_grads:
        return dx, None, None
    dw = _launch(_dw_direct, device_empty(w.shape, w.dtype), dy, x, g)
    return dx, dw, column_sums(dy.reshape(dy.size // w.shape[3], w.shape[3]))


def _cols(x, g, out):
    if cols_are_the_input(g):
        return x.reshape(x.shape[0] * g.Ho * g.Wo, g.KH * g.KW * x.shape[3])
    cols = buffer(out, "conv2d.cols", (x.shape[0] * g.Ho * g.Wo, g.KH * g.KW * x.shape[3]), x.dtype)
    return _launch(_im2col, cols, x, g)


def conv2d_forward_with_cols(x, w, b, stride, padding, activation=None, alpha=0.2, sigma=None, out_block=1, out=None):
    activation = check_activation("conv2d_forward", activation, alpha)
    g = check_conv2d("conv2d_forward", x, w, b, stride, padding, out_block)
    KH, KW, C, F = w.shape
    cols = _cols(x, g, out)
    h = buffer(out, "conv2d.y", (cols.shape[0], F), x.dtype)
    y = gemm_tiled(cols, w.reshape(KH * KW * C, F), b, h, sigma).reshape(output_shape(g, x.shape[0], F))
    return activation_forward(y, activation, alpha, out), cols


def conv2d_forward(x, w, b, stride, padding, activation=None, alpha=0.2, sigma=None, out_block=1, out=None):
    return conv2d_forward_with_cols(x, w, b, stride, padding, activation, alpha, sigma, out_block, out)[0]


def conv2d_backward(dy, x, w, stride, padding, input_grad=True, param_grads=True, y=None, activation=None,
                    alpha=0.2, cols=None, sigma=None, out_block=1, out=None):
    g = check_conv2d("conv2d_backward", x, w, None, stride, padding, out_block)
    check_upstream("conv2d_backward", dy, output_shape(g, x.shape[0], w.shape[3]), x.dtype)
    check_activation_output("conv2d_backward", activation, y, dy)
    check_cols("conv2d_backward", cols, x, w, g.Ho, g.Wo)
    # dpre: the formulas below apply to it
    dy = activation_backward(dy, y, check_activation("conv2d_backward", activation, alpha), alpha, out)
    KH, KW, C, F = w.shape
    dy2 = dy.reshape(x.shape[0] * g.Ho * g.Wo, F)
    dx = dw = db = None
    if input_grad:
        dcols = buffer(out, "conv2d.dcols", (dy2.shape[0], KH * KW * C), x.dtype)
        gemm_tiled(dy2, w.reshape(KH * KW * C, F).T, None, dcols, sigma)
        dx = (dcols.reshape(x.shape) if cols_are_the_input(g)
              else _launch(_col2im, buffer(out, "conv2d.dx", x.shape, x.dtype), dcols, g))
    if param_grads:
        if cols is None:  # not kept by the forward: rebuild it
            cols = _cols(x, g, out)
        dw = gemm_tiled(cols.T, dy2, None, buffer(out, "conv2d.dw", (KH * KW * C, F), w.dtype),
                        sigma).reshape(KH, KW, C, F)
        db = column_sums(dy2, buffer(out, "conv2d.db", (F,), w.dtype))
    return dx, dw, db
