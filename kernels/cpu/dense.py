"""Dense (fully connected) layer: y = x @ w + b.

Shapes: x (N, I), w (I, O), b (O,), y (N, O).

Forward, per element:   y[n, o] = b[o] + sum_i x[n, i] * w[i, o]
Backward, given dy = dL/dy (N, O):
    dx[n, i] = sum_o dy[n, o] * w[i, o]      i.e. dx = dy @ w.T     (N, I)
    dw[i, o] = sum_n x[n, i] * dy[n, o]      i.e. dw = x.T @ dy     (I, O)
    db[o]    = sum_n dy[n, o]                                       (O,)

A spectrally normalised layer multiplies by w / sigma (kernels/cpu/spectral_norm.py). The fast
pair takes that sigma and divides inside the pass that adds the bias, never writing w / sigma:
    y  = act((x @ w) / sigma + b)
    dx = (dpre / sigma) @ w.T,   dw = x.T @ (dpre / sigma),   db = sum_n dpre
where dw is dL/dw with sigma held fixed; spectral_norm_backward adds sigma's own dependence on w.

Two variants of each pass:
- ``*_reference``: the formulas above as plain loops, what a student reads first.
- ``*_fast``: the same sums as GEMMs (kernels/cpu/gemm.py: BLAS, writing into the caller's
  array), with the bias added in one pass after the GEMM that can also apply the layer's
  activation (kernels/cpu/epilogue.py). Used by the public
  ``dense_forward`` / ``dense_backward`` because it is faster by measurement
  (``benchmarks/``), and tested equal to the reference.

Accumulation happens in the output array itself, so a float32 call accumulates in
float32 and a float64 call in float64 (no float64 scalar sneaks into a float32 kernel).
"""

import numpy as np
from numba import njit

from kernels.checks import check_activation_output, check_dense, check_upstream
from kernels.cpu.epilogue import (
    LINEAR,
    activation_backward_and_bias_grad,
    activation_code,
    bias_activation_forward,
    scale_of,
)
from kernels.cpu.gemm import gemm_into
from kernels.cpu.memory import buffer


@njit(cache=True)
def dense_forward_loops(x, w, b):
    N, I = x.shape
    O = w.shape[1]
    y = np.empty((N, O), dtype=x.dtype)
    for n in range(N):  # rows of x / y: (N,)
        for o in range(O):  # outputs: (O,)
            y[n, o] = b[o]
            for i in range(I):  # inputs: x[n, :] . w[:, o]
                y[n, o] += x[n, i] * w[i, o]
    return y


@njit(cache=True)
def dense_backward_loops(dy, x, w):
    # forward was y[n, o] = b[o] + sum_i x[n, i] * w[i, o]
    N, I = x.shape
    O = w.shape[1]
    dx = np.zeros((N, I), dtype=x.dtype)
    dw = np.zeros((I, O), dtype=x.dtype)
    db = np.zeros(O, dtype=x.dtype)
    for n in range(N):  # batch: (N,)
        for o in range(O):  # outputs: (O,)
            g = dy[n, o]
            db[o] += g  # y[n, o] depends on b[o] with slope 1
            for i in range(I):  # inputs: (I,)
                dx[n, i] += g * w[i, o]  # slope of y[n, o] in x[n, i] is w[i, o]
                dw[i, o] += g * x[n, i]  # slope of y[n, o] in w[i, o] is x[n, i]
    return dx, dw, db


def dense_forward_fast(x, w, b, act=LINEAR, alpha=0.0, sigma=None, out=None):
    """act((x @ w) / sigma + b): the GEMM into y, then the scale, bias and activation in one pass
    over it (kernels/cpu/epilogue.py). out: a Workspace for y ("dense.y"), or None."""
    y = buffer(out, "dense.y", (x.shape[0], w.shape[1]), x.dtype)
    gemm_into(x, w, y)  # (N, I) @ (I, O) -> (N, O)
    return bias_activation_forward(y, b, act, alpha, scale_of(sigma, x.dtype))


def dense_backward_fast(dy, x, w, y=None, act=LINEAR, alpha=0.0, sigma=None, input_grad=True, param_grads=True,
                        out=None):
    """dy through the activation (read off the forward's output y) and 1 / sigma, then the two
    GEMMs. out: a Workspace for dx, dw ("dense.dx", "dense.dw") and the epilogue's, or None."""
    dh, db = activation_backward_and_bias_grad(dy, y, act, alpha, scale_of(sigma, x.dtype), out)  # dpre / sigma
    dx = dw = None
    if input_grad:
        dx = buffer(out, "dense.dx", x.shape, x.dtype)
        gemm_into(dh, w.T, dx)  # (N, O) @ (O, I) -> (N, I)
    if param_grads:
        dw = buffer(out, "dense.dw", w.shape, w.dtype)
        gemm_into(x.T, dh, dw)  # (I, N) @ (N, O) -> (I, O)
    return dx, dw, (db if param_grads else None)


def dense_forward(x, w, b, activation=None, alpha=0.2, sigma=None, out=None):
    """y = act(x @ w + b), or with sigma act((x @ w) / sigma + b).  x (N, I), w (I, O), b (O,)
    -> y (N, O).  Fast variant.

    activation: None (linear), 'relu' or 'leaky_relu' (slope alpha below 0), fused with the
    bias into one pass over y (kernels/cpu/epilogue.py). sigma: spectral_norm_forward's, for a
    layer that multiplies by w / sigma, or None. out: a Workspace (kernels/workspace.py) that y
    is taken from and that the next call overwrites, or None for a fresh array."""
    act = activation_code("dense_forward", activation, alpha)
    check_dense("dense_forward", x, w, b)
    return dense_forward_fast(np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b), act, alpha,
                              sigma, out)


def dense_backward(dy, x, w, input_grad=True, param_grads=True, y=None, activation=None, alpha=0.2, sigma=None,
                   out=None):
    """dy (N, O), x (N, I), w (I, O) -> dx = dpre @ w.T, dw = x.T @ dpre, db = sum_n dpre, with
    dpre = dy * act'(.) (dy itself when linear); with sigma, dx and dw use dpre / sigma (dw is
    then dL/dw with sigma held fixed: spectral_norm_backward completes it). Fast variant.

    With an activation, y is the forward's output (act' is read off it). input_grad=False
    skips dx (the first layer of a net fed by data), param_grads=False skips dw and db (a net
    that only passes gradients on, as D in the G step); a skipped gradient is returned as None.
    out: a Workspace for the gradients and the temporaries, or None, as in dense_forward."""
    act = activation_code("dense_backward", activation, alpha)
    check_dense("dense_backward", x, w)
    check_upstream("dense_backward", dy, (x.shape[0], w.shape[1]), x.dtype)
    if check_activation_output("dense_backward", activation, y, dy) is not None:
        y = np.ascontiguousarray(y)
    return dense_backward_fast(np.ascontiguousarray(dy), np.ascontiguousarray(x), np.ascontiguousarray(w), y, act,
                               alpha, sigma, input_grad, param_grads, out)


def dense_forward_reference(x, w, b):
    """The readable variant of dense_forward (no activation), checked: what a student calls and
    what the fast variant is tested against. Same contract as kernels.cuda.dense_forward_reference."""
    check_dense("dense_forward_reference", x, w, b)
    return dense_forward_loops(np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b))


def dense_backward_reference(dy, x, w, input_grad=True, param_grads=True):
    """The readable variant of dense_backward (no activation) -> dx, dw, db; a skipped gradient is None."""
    check_dense("dense_backward_reference", x, w)
    check_upstream("dense_backward_reference", dy, (x.shape[0], w.shape[1]), x.dtype)
    dx, dw, db = dense_backward_loops(np.ascontiguousarray(dy), np.ascontiguousarray(x), np.ascontiguousarray(w))
    return (dx if input_grad else None), (dw if param_grads else None), (db if param_grads else None)
