"""2-D convolution on the GPU, NHWC (math and index conventions: kernels/cpu/conv2d.py).

Two variants, both tested against the CPU kernels:
- the readable variant (``*_reference``), direct: one thread per output element. Forward: a thread per y[n, oh, ow, f]
  sums its window. Backward: a thread per dx[n, ih, iw, c] gathers every (oh, ow, kh, kw)
  with oh*sh - pt + kh = ih and ow*sw - pl + kw = iw (no atomics: each thread owns its
  output); a thread per dw[kh, kw, c, f] sums over the batch and output pixels.
- im2col + tiled GEMM (the default): the same three matrices as on the CPU,
  cols (N*Ho*Wo, KH*KW*C), one tiled GEMM forward and two backward, col2im as a gather.
"""

from numba import cuda

from kernels.checks import check_activation, check_activation_output, check_cols, check_conv2d, check_upstream
from kernels.cuda.elementwise import activation_backward, activation_forward
from kernels.cuda.gemm import column_sums, gemm_tiled
from kernels.cuda.launch import device_empty, grid_1d


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


@cuda.jit
def _forward_direct(x, w, b, sh, sw, pt, pl, y):
    i = cuda.grid(1)
    if i < y.size:
        n, oh, ow, f = unravel4(i, y.shape)
        H, W, C = x.shape[1], x.shape[2], x.shape[3]
        acc = b[f]
        for kh in range(w.shape[0]):
            ih = oh * sh - pt + kh
            if ih < 0 or ih >= H:
                continue
            for kw in range(w.shape[1]):
                iw = ow * sw - pl + kw
                if iw < 0 or iw >= W:
                    continue
                for c in range(C):
                    acc += x[n, ih, iw, c] * w[kh, kw, c, f]
        y[n, oh, ow, f] = acc


@cuda.jit
def _dx_direct(dy, w, sh, sw, pt, pl, dx):
    i = cuda.grid(1)
    if i < dx.size:
        n, ih, iw, c = unravel4(i, dx.shape)  # this thread owns dx[n, ih, iw, c] and gathers
        Ho, Wo, F = dy.shape[1], dy.shape[2], dy.shape[3]
        acc = dx.dtype.type(0)
        for kh in range(w.shape[0]):
            oh = window_of(ih, pt, kh, sh, Ho)
            if oh < 0:
                continue
            for kw in range(w.shape[1]):
                ow = window_of(iw, pl, kw, sw, Wo)
                if ow < 0:
                    continue
                for f in range(F):
                    acc += dy[n, oh, ow, f] * w[kh, kw, c, f]
        dx[n, ih, iw, c] = acc


@cuda.jit
def _dw_direct(dy, x, sh, sw, pt, pl, dw):
    i = cuda.grid(1)
    if i < dw.size:
        kh, kw, c, f = unravel4(i, dw.shape)
        N, H, W = x.shape[0], x.shape[1], x.shape[2]
        acc = dw.dtype.type(0)
        for n in range(N):
            for oh in range(dy.shape[1]):
                ih = oh * sh - pt + kh
                if ih < 0 or ih >= H:
                    continue
                for ow in range(dy.shape[2]):
                    iw = ow * sw - pl + kw
                    if iw < 0 or iw >= W:
                        continue
                    acc += dy[n, oh, ow, f] * x[n, ih, iw, c]
        dw[kh, kw, c, f] = acc


@cuda.jit
def _im2col(x, KH, KW, sh, sw, pt, pl, Ho, Wo, cols):
    i = cuda.grid(1)
    if i < cols.size:
        K = cols.shape[1]
        C = x.shape[3]
        r, k = i // K, i % K  # cols[r, k]: r = (n*Ho + oh)*Wo + ow, k = (kh*KW + kw)*C + c
        ow, oh, n = r % Wo, (r // Wo) % Ho, r // (Wo * Ho)
        c, kw, kh = k % C, (k // C) % KW, k // (C * KW)
        ih = oh * sh - pt + kh
        iw = ow * sw - pl + kw
        inside = ih >= 0 and ih < x.shape[1] and iw >= 0 and iw < x.shape[2]
        cols[r, k] = x[n, ih, iw, c] if inside else x.dtype.type(0)


@cuda.jit
def _col2im(dcols, KH, KW, sh, sw, pt, pl, Ho, Wo, dx):
    i = cuda.grid(1)
    if i < dx.size:
        n, ih, iw, c = unravel4(i, dx.shape)  # dx[n, ih, iw, c] gathers the entries copied from it
        C = dx.shape[3]
        acc = dx.dtype.type(0)
        for kh in range(KH):
            oh = window_of(ih, pt, kh, sh, Ho)
            if oh < 0:
                continue
            for kw in range(KW):
                ow = window_of(iw, pl, kw, sw, Wo)
                if ow < 0:
                    continue
                acc += dcols[(n * Ho + oh) * Wo + ow, (kh * KW + kw) * C + c]
        dx[n, ih, iw, c] = acc


def _launch(kernel, out, *args):
    blocks, threads = grid_1d(out.size)
    kernel[blocks, threads](*args, out)
    return out


def conv2d_forward_reference(x, w, b, stride, padding):
    sh, sw, pt, _, pl, _, Ho, Wo = check_conv2d("conv2d_forward", x, w, b, stride, padding)
    y = device_empty((x.shape[0], Ho, Wo, w.shape[3]), x.dtype)
    return _launch(_forward_direct, y, x, w, b, sh, sw, pt, pl)


def conv2d_backward_reference(dy, x, w, stride, padding, input_grad=True, param_grads=True):
    sh, sw, pt, _, pl, _, Ho, Wo = check_conv2d("conv2d_backward", x, w, None, stride, padding)
    check_upstream("conv2d_backward", dy, (x.shape[0], Ho, Wo, w.shape[3]), x.dtype)
    dx = _launch(_dx_direct, device_empty(x.shape, x.dtype), dy, w, sh, sw, pt, pl) if input_grad else None
    if not param_grads:
        return dx, None, None
    dw = _launch(_dw_direct, device_empty(w.shape, w.dtype), dy, x, sh, sw, pt, pl)
    return dx, dw, column_sums(dy.reshape(dy.size // w.shape[3], w.shape[3]))


def _cols(x, KH, KW, sh, sw, pt, pl, Ho, Wo):
    cols = device_empty((x.shape[0] * Ho * Wo, KH * KW * x.shape[3]), x.dtype)
    return _launch(_im2col, cols, x, KH, KW, sh, sw, pt, pl, Ho, Wo)


def conv2d_forward_with_cols(x, w, b, stride, padding, activation=None, alpha=0.2):
    activation = check_activation("conv2d_forward", activation, alpha)
    sh, sw, pt, _, pl, _, Ho, Wo = check_conv2d("conv2d_forward", x, w, b, stride, padding)
    KH, KW, C, F = w.shape
    cols = _cols(x, KH, KW, sh, sw, pt, pl, Ho, Wo)
    y = gemm_tiled(cols, w.reshape(KH * KW * C, F), b).reshape(x.shape[0], Ho, Wo, F)
    return activation_forward(y, activation, alpha), cols


def conv2d_forward(x, w, b, stride, padding, activation=None, alpha=0.2):
    return conv2d_forward_with_cols(x, w, b, stride, padding, activation, alpha)[0]


def conv2d_backward(dy, x, w, stride, padding, input_grad=True, param_grads=True, y=None, activation=None,
                    alpha=0.2, cols=None):
    sh, sw, pt, _, pl, _, Ho, Wo = check_conv2d("conv2d_backward", x, w, None, stride, padding)
    check_upstream("conv2d_backward", dy, (x.shape[0], Ho, Wo, w.shape[3]), x.dtype)
    check_activation_output("conv2d_backward", activation, y, dy)
    check_cols("conv2d_backward", cols, x, w, Ho, Wo)
    dy = activation_backward(dy, y, check_activation("conv2d_backward", activation, alpha), alpha)  # dpre: the formulas below apply to it
    KH, KW, C, F = w.shape
    dy2 = dy.reshape(x.shape[0] * Ho * Wo, F)
    dx = dw = db = None
    if input_grad:
        dcols = gemm_tiled(dy2, w.reshape(KH * KW * C, F).T)
        dx = _launch(_col2im, device_empty(x.shape, x.dtype), dcols, KH, KW, sh, sw, pt, pl, Ho, Wo)
    if param_grads:
        if cols is None:  # not kept by the forward: rebuild it
            cols = _cols(x, KH, KW, sh, sw, pt, pl, Ho, Wo)
        dw, db = gemm_tiled(cols.T, dy2).reshape(KH, KW, C, F), column_sums(dy2)
    return dx, dw, db
