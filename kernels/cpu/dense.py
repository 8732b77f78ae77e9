"""Dense (fully connected) layer: y = x @ w + b, as matrix products.

Shapes: x (N, I), w (I, O), b (O,), y (N, O). The sums, written out per element as plain loops
in kernels/reference/dense.py:
    y  = x @ w + b
    dx = dy @ w.T        (N, I)
    dw = x.T @ dy        (I, O)
    db = sum_n dy        (O,)

With spec.activation act after it and spectral norm's sigma (w / sigma, never written out):
    y  = act((x @ w) / sigma + b)
    dx = (dpre / sigma) @ w.T,   dw = x.T @ (dpre / sigma),   db = sum_n dpre,   dpre = dy * act'(pre)
where dw is dL/dw with sigma held fixed; spectral_norm_backward adds sigma's own dependence on w.

How it runs here: the two sums are GEMMs (kernels/cpu/gemm.py: BLAS, writing into the
caller's array), and the bias, 1 / sigma and the activation are one pass over the GEMM's output
(kernels/cpu/epilogue.py); the backward reads act' off the output y. With spec.bf16 the GEMMs'
operands, x, w and dpre / sigma, are rounded to bfloat16 first and the products summed in
float32 (kernels/cpu/gemm_bf16.py); everything else stays float32. The same formulas as plain
loops are kernels/reference/dense.py, which this is tested equal to.
"""

import numpy as np

from kernels.checks import check_bf16_spec, check_cache, check_dense, check_upstream
from kernels.cpu.epilogue import activation_backward_and_bias_grad, bias_activation_forward, scale_of
from kernels.cpu.gemm_bf16 import operand, products_of
from kernels.cpu.memory import buffer
from kernels.specs import DenseCache


def dense_forward(x, w, b, spec, sigma=None, out=None):
    """y = act((x @ w) / sigma + b), and its cache.  x (N, I), w (I, O), b (O,) -> y (N, O).

    spec: a DenseSpec (kernels/specs.py), the activation, and bf16; with bf16, w may come as its
    bfloat16 bits (uint16) already. sigma: spectral_norm_forward's, or None. out: a Workspace
    (kernels/workspace.py) that y is taken from and that the next call overwrites, or None for a
    fresh array."""
    check_dense("dense_forward", x, w, b)
    check_bf16_spec("dense_forward", spec, x, w)
    x, w, b = np.ascontiguousarray(x), np.ascontiguousarray(w), np.ascontiguousarray(b)
    y = buffer(out, "dense.y", (x.shape[0], w.shape[1]), x.dtype)
    x, w = operand(spec, x, "dense.x16", out), operand(spec, w, "dense.w16", out)  # as spec.bf16 has them
    gemm = products_of(x)[0]  # c = a @ b for these operands
    gemm(x, w, y)  # (N, I) @ (I, O) -> (N, O)
    bias_activation_forward(y, b, spec.activation, scale_of(sigma, y.dtype))
    return y, DenseCache(x, w, sigma, spec, None, y)


def dense_backward(dy, cache, input_grad=True, param_grads=True, out=None):
    """dy (N, O) and the forward's cache -> dx = dpre @ w.T / sigma, dw = x.T @ dpre / sigma,
    db = sum_n dpre, with dpre = dy * act'(.) (read off the forward's output y).

    dw is dL/dw with sigma held fixed (spectral_norm_backward completes it). input_grad=False
    skips dx (the first layer of a net fed by data), param_grads=False skips dw and db (a net
    that only passes gradients on, as D in the G step): a skipped gradient is None.
    out: a Workspace for the gradients and the temporaries, or None."""
    check_cache("dense_backward", cache, DenseCache)
    x, w, sigma, spec, _, y = cache  # x and w as the forward's products took them
    check_upstream("dense_backward", dy, y.shape, y.dtype)
    dy = np.ascontiguousarray(dy)
    dh, db = activation_backward_and_bias_grad(dy, y, spec.activation, scale_of(sigma, y.dtype), out)  # dpre / sigma
    dh = operand(spec, dh, "dense.dh16", out)
    gemm = products_of(dh)[0]
    dx = dw = None
    if input_grad:
        dx = buffer(out, "dense.dx", x.shape, y.dtype)
        gemm(dh, w.T, dx)  # (N, O) @ (O, I) -> (N, I)
    if param_grads:
        dw = buffer(out, "dense.dw", w.shape, y.dtype)
        gemm(x.T, dh, dw)  # (I, N) @ (N, O) -> (I, O)
    return dx, dw, (db if param_grads else None)
