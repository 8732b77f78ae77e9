"""Spectral normalisation of a weight (Miyato et al. 2018): the layer uses W / sigma(W), where
sigma(W) is W's largest singular value, so D's layers are at most 1-Lipschitz.

A dense kernel w (I, O), or a conv kernel (KH, KW, C_in, C_out) read as the matrix
M = w.reshape(I, O) with I = KH * KW * C_in (the im2col layout: y = cols @ M). The singular
vectors u (O,) and v (I,) are estimated by power iteration, one step each time it is called:
    v = M u / |M u|,    u = M^T v / |M^T v|          (power_iteration, in place on u and v)
(PyTorch's spectral_norm with weight (O, I): v = normalize(W^T u), u = normalize(W v).)
With u and v held constant, as the paper does:
    sigma = v^T M u,          w_sn = w / sigma                               (forward)
    d sigma / d M = v u^T
    dL/dM = dw_sn / sigma - <dw_sn, M> v u^T / sigma^2      (from d w_sn / dM = I / sigma - M (v u^T) / sigma^2)
where <a, b> = sum of a * b over every entry and dw_sn = dL/dw_sn.

Right after a power-iteration step sigma is already known: v^T M u = (M^T v) . u =
|M^T v|^2 / |M^T v| = |M^T v|, the norm the step divided u by. So the step returns it (as
|M^T v|^2 / max(|M^T v|, eps), which is v^T M u exactly when the eps clamp acts too), and the
first forward after it need not pass over M again.

w_sn is never written out: the layer hands sigma to its dense or conv kernel, which divides
inside the pass that adds the bias (x @ (w / sigma) = (x @ w) / sigma; kernels/cpu/dense.py),
and whose backward returns dw = dw_sn / sigma, the gradient with sigma held fixed. What is
left for the backward here is sigma's own dependence on M:
    dL/dM = dw - (<dw, M> / sigma) v u^T                                   (backward)

The trainer runs one power-iteration step per training step, not per forward: D runs forward
twice a step (D step, G step) with one u, v, and its sigma follows W's update in between.
"""

import numpy as np
from numba import njit

from kernels.checks import check_spectral_norm
from kernels.cpu.memory import buffer


# The fast variants: the same steps, the matrix-vector products and the inner product in BLAS
# (a float reduction in a Numba loop runs one add at a time: it cannot reorder the sum).

@njit(cache=True)
def spectral_norm_power_iteration_fast(M, u, v, eps):
    np.dot(M, u, v)  # v = M u: (I,)
    v /= max(np.sqrt(np.dot(v, v)), eps)
    np.dot(v, M, u)  # u = M^T v: (O,)
    norm = np.sqrt(np.dot(u, u))
    clamped = max(norm, eps)
    u /= clamped
    return norm * (norm / clamped)  # sigma = v^T M u for the new u


@njit(cache=True)
def spectral_norm_forward_fast(M, u, v, Mu):
    """Mu (I,): room for M u. -> sigma = v^T M u."""
    np.dot(M, u, Mu)
    return np.dot(v, Mu)


@njit(cache=True)
def spectral_norm_backward_fast(dM, M, u, v, sigma, out):
    """out (I, O) <- dM - (<dM, M> / sigma) v u^T."""
    c = np.dot(dM.ravel(), M.ravel()) / M.dtype.type(sigma)
    for i in range(M.shape[0]):  # rows: (I,)
        cv = c * v[i]
        for o in range(M.shape[1]):  # (O,), contiguous
            out[i, o] = dM[i, o] - cv * u[o]


def as_matrix(w):
    """A dense (I, O) or conv (KH, KW, C_in, O) kernel as the matrix M (I, O) spectral norm reads."""
    return np.ascontiguousarray(w).reshape(-1, w.shape[-1])


def spectral_norm_power_iteration(w, u, v, eps=1e-12):
    """One power-iteration step, in place on u (O,) and v (I,); w (I, O) or (KH, KW, C_in, O).
    -> sigma = v^T M u for the new u and v, a scalar of w's dtype: what spectral_norm_forward(w,
    u, v) returns now (up to rounding), known from the step's last norm without a pass over M."""
    check_spectral_norm("spectral_norm_power_iteration", w, u, v)
    return w.dtype.type(spectral_norm_power_iteration_fast(as_matrix(w), u, v, w.dtype.type(eps)))


def spectral_norm_forward(w, u, v, out=None):
    """-> sigma = v^T M u, a scalar of w's dtype: what the layer divides by, passed as sigma= to
    dense_forward / conv2d_forward (w / sigma itself is never formed). out: a Workspace
    (kernels/workspace.py) for M u, or None to allocate it."""
    check_spectral_norm("spectral_norm_forward", w, u, v)
    Mu = buffer(out, "spectral_norm.Mu", v.shape, w.dtype)
    return w.dtype.type(spectral_norm_forward_fast(as_matrix(w), u, v, Mu))


def spectral_norm_backward(dw, w, u, v, sigma, out=None):
    """dw: dL/dw with sigma held fixed (what dense_backward / conv2d_backward return given
    sigma), shaped as w -> dL/dw = dw - (<dw, w> / sigma) v u^T, shaped as w; into a
    Workspace's "spectral_norm.dw" if out is one, else a fresh array."""
    check_spectral_norm("spectral_norm_backward", w, u, v, dw)
    grad = buffer(out, "spectral_norm.dw", w.shape, w.dtype)
    spectral_norm_backward_fast(as_matrix(dw), as_matrix(w), u, v, w.dtype.type(sigma), as_matrix(grad))
    return grad
