"""Dense layer on the GPU: y = x @ w + b, or (x @ w) / sigma + b (math: kernels/cpu/dense.py).

dense_forward / dense_backward use the tiled GEMM; the ``*_reference`` pair (the readable variant) uses one thread
per output element. Both are tested against the CPU kernels."""

from kernels.checks import (
    check_activation,
    check_activation_output,
    check_dense,
    check_upstream,
)
from kernels.cuda.epilogue import activation_backward, activation_forward
from kernels.cuda.gemm import column_sums, gemm_naive, gemm_tiled
from kernels.cuda.memory import buffer


def _forward(gemm, x, w, b, out=None, **sigma):
    check_dense("dense_forward", x, w, b)
    y = buffer(out, "dense.y", (x.shape[0], w.shape[1]), x.dtype)
    return gemm(x, w, b, y, **sigma)  # (N, I) @ (I, O) [/ sigma] + b, fused into the GEMM's epilogue


def _backward(gemm, dy, x, w, input_grad, param_grads, out=None, **sigma):
    check_dense("dense_backward", x, w)
    check_upstream("dense_backward", dy, (x.shape[0], w.shape[1]), x.dtype)
    dx = gemm(dy, w.T, None, buffer(out, "dense.dx", x.shape, x.dtype), **sigma) if input_grad else None  # dy w^T
    dw = db = None
    if param_grads:
        dw = gemm(x.T, dy, None, buffer(out, "dense.dw", w.shape, w.dtype), **sigma)  # x^T dy [/ sigma]
        db = column_sums(dy, buffer(out, "dense.db", (w.shape[1],), w.dtype))  # sum_n dy
    return dx, dw, db


def dense_forward(x, w, b, activation=None, alpha=0.2, sigma=None, out=None):
    activation = check_activation("dense_forward", activation, alpha)
    y = _forward(gemm_tiled, x, w, b, out, sigma=sigma)
    return activation_forward(y, activation, alpha, out)


def dense_backward(dy, x, w, input_grad=True, param_grads=True, y=None, activation=None, alpha=0.2, sigma=None,
                   out=None):
    check_activation_output("dense_backward", activation, y, dy)
    dpre = activation_backward(dy, y, check_activation("dense_backward", activation, alpha), alpha, out)
    return _backward(gemm_tiled, dpre, x, w, input_grad, param_grads, out, sigma=sigma)


def dense_forward_reference(x, w, b):
    return _forward(gemm_naive, x, w, b)


def dense_backward_reference(dy, x, w, input_grad=True, param_grads=True):
    return _backward(gemm_naive, dy, x, w, input_grad, param_grads)
