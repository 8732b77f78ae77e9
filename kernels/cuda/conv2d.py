"""2-D convolution on the GPU, NHWC: y = act(conv(x, w) / sigma + b), x (N, H, W, C),
w (KH, KW, C, F), b (F,), y (N, Ho, Wo, F) (math and index conventions: kernels/cpu/conv2d.py).

Two variants, both tested equal to the CPU engine and to each other:
- im2col + tiled GEMM, the contract's conv2d_forward / conv2d_backward: the same three matrices
  as on the CPU, cols (N*Ho*Wo, KH*KW*C) with row r = (n*Ho + oh)*Wo + ow for output pixel
  (n, oh, ow) and column (kh*KW + kw)*C + c, one tiled GEMM forward and two backward, col2im as
  a gather. The GEMMs add the bias and divide by spectral norm's sigma as they write (w / sigma
  is never formed); the activation is its own elementwise pass (kernels/cuda/epilogue.py), and
  the cache keeps cols for the backward's dw = cols.T @ dpre.
- the readable variant, conv2d_forward_reference / conv2d_backward_reference, with the
  formulas' own signatures (those of kernels/reference/conv2d.py: no activation, no sigma),
  direct, one thread per output element. Forward: a thread per y[n, oh, ow, f] sums its window.
  Backward: a thread per dx[n, ih, iw, c] gathers every (oh, ow, kh, kw) with
  oh*sh - pt + kh = ih and ow*sw - pl + kw = iw (no atomics: each thread owns its output); a
  thread per dw[kh, kw, c, f] sums over the batch and output pixels.
Every kernel takes the convolution's ConvGeometry g (kernels/conv_geometry.py); a launch passes
its twelve ints.
"""

from numba import cuda

from kernels.checks import check_bf16_spec, check_cache, check_conv2d, check_upstream
from kernels.conv_geometry import cols_are_the_input, output_shape
from kernels.cuda.epilogue import activation_backward, activation_forward
from kernels.cuda.gemm import column_sums, gemm_tiled
from kernels.cuda.launch import device_empty, grid_1d
from kernels.cuda.memory import buffer
from kernels.specs import ConvCache


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
        r, k = i // K, i % K  # cols[r, k]: r = (n*Ho + oh)*Wo + ow, k = (kh*KW + kw)*C + c
        n, oh, ow = r // (g.Ho * g.Wo), (r // g.Wo) % g.Ho, r % g.Wo
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
                acc += dcols[(n * g.Ho + oh) * g.Wo + ow, (kh * g.KW + kw) * C + c]
        dx[n, ih, iw, c] = acc


def _launch(kernel, out, *args):
    blocks, threads = grid_1d(out.size)
    kernel[blocks, threads](*args, out)
    return out


def conv2d_forward_reference(x, w, b, stride, padding):
    """conv(x, w) + b, one thread per output element.  x (N, H, W, C), w (KH, KW, C, F), b (F,)
    -> y (N, Ho, Wo, F); stride and padding as in a ConvSpec (kernels/specs.py)."""
    g = check_conv2d("conv2d_forward", x, w, b, stride, padding)
    y = device_empty(output_shape(g, x.shape[0], w.shape[3]), x.dtype)
    return _launch(_forward_direct, y, x, w, b, g)


def conv2d_backward_reference(dy, x, w, stride, padding):
    """dy (N, Ho, Wo, F) -> dx (N, H, W, C), dw (KH, KW, C, F), db (F,) (the module docstring's
    formulas), one thread per output element."""
    g = check_conv2d("conv2d_backward", x, w, None, stride, padding)
    check_upstream("conv2d_backward", dy, output_shape(g, x.shape[0], w.shape[3]), x.dtype)
    dx = _launch(_dx_direct, device_empty(x.shape, x.dtype), dy, w, g)
    dw = _launch(_dw_direct, device_empty(w.shape, w.dtype), dy, x, g)
    return dx, dw, column_sums(dy.reshape(dy.size // w.shape[3], w.shape[3]))


def conv2d_forward(x, w, b, spec, sigma=None, out=None):
    """y = act(conv(x, w) / sigma + b), and its cache.  x (N, H, W, C), w (KH, KW, C, F), b (F,)
    -> y (N, Ho, Wo, F).

    spec: a ConvSpec (kernels/specs.py): stride, padding and activation; sigma:
    spectral_norm_forward's (1,) device array, or None. out: a Workspace whose buffers y and
    cols are taken from, or None."""
    g = check_conv2d("conv2d_forward", x, w, b, spec.stride, spec.padding)
    check_bf16_spec("conv2d_forward", spec, x, w, engine="the CUDA engine")
    KH, KW, C, F = w.shape
    rows, K = x.shape[0] * g.Ho * g.Wo, KH * KW * C
    if cols_are_the_input(g):  # each window is one pixel's row: cols is x, reshaped
        cols = x.reshape(rows, K)
    else:
        cols = _launch(_im2col, buffer(out, "conv2d.cols", (rows, K), x.dtype), x, g)  # (N*Ho*Wo, K)
    h = gemm_tiled(cols, w.reshape(K, F), b, buffer(out, "conv2d.y", (rows, F), x.dtype), sigma)
    y = activation_forward(h.reshape(output_shape(g, x.shape[0], F)), spec.activation, out)
    return y, ConvCache(x, w, sigma, spec, g, None, y, cols)


def conv2d_backward(dy, cache, input_grad=True, param_grads=True, out=None):
    """dy (N, Ho, Wo, F) and the forward's cache -> dx (N, H, W, C), dw (KH, KW, C, F), db (F,):
    the formulas of kernels/cpu/conv2d.py applied to dpre / sigma, dpre = dy * act'(.) read off
    the forward's y; dw is dL/dw with sigma held fixed.

    input_grad / param_grads as in dense_backward: a skipped gradient is None and costs nothing.
    out as in conv2d_forward."""
    check_cache("conv2d_backward", cache, ConvCache)
    x, w, sigma, spec, g, _, y, cols = cache
    check_upstream("conv2d_backward", dy, y.shape, x.dtype)
    KH, KW, C, F = w.shape
    K = KH * KW * C
    dpre = activation_backward(dy, y, spec.activation, out).reshape(cols.shape[0], F)  # (N*Ho*Wo, F)
    dx = dw = db = None
    if input_grad:
        dcols = gemm_tiled(dpre, w.reshape(K, F).T, None, buffer(out, "conv2d.dcols", cols.shape, x.dtype), sigma)
        if cols_are_the_input(g):
            dx = dcols.reshape(x.shape)
        else:
            dx = _launch(_col2im, buffer(out, "conv2d.dx", x.shape, x.dtype), dcols, g)
    if param_grads:
        dw = gemm_tiled(cols.T, dpre, None, buffer(out, "conv2d.dw", (K, F), w.dtype), sigma).reshape(w.shape)
        db = column_sums(dpre, buffer(out, "conv2d.db", (F,), w.dtype))
    return dx, dw, db
