"""Dense layer on the GPU: y = act((x @ w) / sigma + b), x (N, I), w (I, O), b (O,), y (N, O)
(math: kernels/cpu/dense.py).

dense_forward / dense_backward, the contract's pair, run the tiled GEMM, which adds the bias and
divides by sigma as it writes (w / sigma is never formed), then the activation as its own
elementwise pass (kernels/cuda/epilogue.py); the backward reads act' off the output y that the
cache keeps. dense_forward_reference / dense_backward_reference, the readable variant, are the
bare layer with the formulas' own signatures (those of kernels/reference/dense.py: no
activation, no sigma), one thread per output element (gemm_naive); both are tested equal to
the fast pair."""

from functools import partial

from kernels.checks import check_bf16_spec, check_cache, check_dense, check_upstream
from kernels.cuda.epilogue import activation_backward, activation_forward
from kernels.cuda.gemm import column_sums, gemm_naive, gemm_tiled
from kernels.cuda.memory import buffer
from kernels.specs import DenseCache


def _forward(gemm, x, w, b, out):
    check_dense("dense_forward", x, w, b)
    return gemm(x, w, b, buffer(out, "dense.y", (x.shape[0], w.shape[1]), x.dtype))  # (N, I) @ (I, O) + b


def _backward(gemm, dpre, x, w, out, input_grad=True, param_grads=True):
    """dx = dpre @ w.T, dw = x.T @ dpre (each through gemm, which may divide by sigma), db = sum_n dpre."""
    dx = gemm(dpre, w.T, None, buffer(out, "dense.dx", x.shape, x.dtype)) if input_grad else None  # (N, I)
    dw = db = None
    if param_grads:
        dw = gemm(x.T, dpre, None, buffer(out, "dense.dw", w.shape, w.dtype))  # (I, O)
        db = column_sums(dpre, buffer(out, "dense.db", (w.shape[1],), w.dtype))  # (O,)
    return dx, dw, db


def dense_forward(x, w, b, spec, sigma=None, out=None):
    """y = act((x @ w) / sigma + b), and its cache.  x (N, I), w (I, O), b (O,) -> y (N, O).

    spec: a DenseSpec (kernels/specs.py), the activation; sigma: spectral_norm_forward's (1,)
    device array, or None. out: a Workspace whose buffers y is taken from, or None."""
    check_bf16_spec("dense_forward", spec, x, w, engine="the CUDA engine")
    h = _forward(partial(gemm_tiled, sigma=sigma), x, w, b, out)
    y = activation_forward(h, spec.activation, out)
    return y, DenseCache(x, w, sigma, spec, None, y)


def dense_backward(dy, cache, input_grad=True, param_grads=True, out=None):
    """dy (N, O) and the forward's cache -> dx = dpre @ w.T / sigma (N, I), dw = x.T @ dpre / sigma
    (I, O), db = sum_n dpre (O,), with dpre = dy * act'(.) read off the forward's y.

    dw is dL/dw with sigma held fixed (spectral_norm_backward completes it); input_grad=False
    skips dx, param_grads=False dw and db (each then None). out as in dense_forward."""
    check_cache("dense_backward", cache, DenseCache)
    x, w, sigma, spec, _, y = cache
    check_upstream("dense_backward", dy, y.shape, x.dtype)
    dpre = activation_backward(dy, y, spec.activation, out)
    return _backward(partial(gemm_tiled, sigma=sigma), dpre, x, w, out, input_grad=input_grad, param_grads=param_grads)


def dense_forward_reference(x, w, b):
    """x @ w + b, one thread per output element.  x (N, I), w (I, O), b (O,) -> (N, O)."""
    return _forward(gemm_naive, x, w, b, None)


def dense_backward_reference(dy, x, w):
    """dy (N, O) -> dx = dy @ w.T (N, I), dw = x.T @ dy (I, O), db = sum_n dy (O,), one thread per
    output element."""
    check_dense("dense_backward", x, w)
    check_upstream("dense_backward", dy, (x.shape[0], w.shape[1]), x.dtype)
    return _backward(gemm_naive, dy, x, w, None)
