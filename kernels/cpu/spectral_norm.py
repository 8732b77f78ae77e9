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
    dw = (dw_sn - <dw_sn, w_sn> v u^T) / sigma                              (backward)
where <a, b> = sum of a * b over every entry. (From dw_sn / dM = I / sigma - M (v u^T) / sigma^2:
dL/dM = dw_sn / sigma - <dw_sn, M> v u^T / sigma^2.)

The trainer runs one power-iteration step per training step, not per forward: D runs forward
twice a step (D step, G step) with one u, v, and its sigma follows W's update in between.
"""

import numpy as np
from numba import njit

from kernels.checks import check_spectral_norm
from kernels.cpu.memory import buffer


# The readable references: the formulas above as plain loops over M (I, O), row-major.

@njit(cache=True)
def spectral_norm_power_iteration_reference(M, u, v, eps):
    I, O = M.shape
    t = M.dtype.type
    norm = t(0)
    for i in range(I):  # v = M u: (I,)
        acc = t(0)
        for o in range(O):
            acc += M[i, o] * u[o]
        v[i] = acc
        norm += acc * acc
    norm = max(np.sqrt(norm), t(eps))
    for i in range(I):
        v[i] /= norm
    for o in range(O):
        u[o] = t(0)
    for i in range(I):  # u = M^T v: (O,), accumulated row by row of M
        for o in range(O):
            u[o] += M[i, o] * v[i]
    norm = t(0)
    for o in range(O):
        norm += u[o] * u[o]
    norm = max(np.sqrt(norm), t(eps))
    for o in range(O):
        u[o] /= norm


@njit(cache=True)
def spectral_norm_forward_reference(M, u, v):
    I, O = M.shape
    sigma = M.dtype.type(0)
    for i in range(I):  # sigma = v^T M u
        acc = M.dtype.type(0)
        for o in range(O):
            acc += M[i, o] * u[o]
        sigma += v[i] * acc
    M_sn = np.empty_like(M)
    for i in range(I):  # M / sigma: (I, O)
        for o in range(O):
            M_sn[i, o] = M[i, o] / sigma
    return M_sn, sigma


@njit(cache=True)
def spectral_norm_backward_reference(dM_sn, M, u, v, sigma):
    # forward was M_sn = M / sigma with sigma = v^T M u (u, v constant)
    I, O = M.shape
    sigma = M.dtype.type(sigma)
    inner = M.dtype.type(0)
    for i in range(I):  # <dM_sn, M_sn>
        for o in range(O):
            inner += dM_sn[i, o] * (M[i, o] / sigma)
    dM = np.empty_like(M)
    for i in range(I):  # (dM_sn - inner v u^T) / sigma: (I, O)
        for o in range(O):
            dM[i, o] = (dM_sn[i, o] - inner * v[i] * u[o]) / sigma
    return dM


# The fast variants: the same steps, the matrix-vector products and the inner product in BLAS
# (a float reduction in a Numba loop runs one add at a time: it cannot reorder the sum).

@njit(cache=True)
def spectral_norm_power_iteration_fast(M, u, v, eps):
    np.dot(M, u, v)  # v = M u: (I,)
    v /= max(np.sqrt(np.dot(v, v)), eps)
    np.dot(v, M, u)  # u = M^T v: (O,)
    u /= max(np.sqrt(np.dot(u, u)), eps)


@njit(cache=True)
def spectral_norm_forward_fast(M, u, v, Mu, M_sn):
    """Mu (I,): room for M u. M_sn (I, O) <- M / sigma; -> sigma."""
    np.dot(M, u, Mu)
    sigma = np.dot(v, Mu)
    inv = M.dtype.type(1) / sigma
    for i in range(M.shape[0]):  # rows of M: (I,)
        for o in range(M.shape[1]):  # (O,), contiguous
            M_sn[i, o] = M[i, o] * inv
    return sigma


@njit(cache=True)
def spectral_norm_backward_fast(dM_sn, M, u, v, sigma, dM):
    """dM (I, O) <- (dM_sn - <dM_sn, M_sn> v u^T) / sigma."""
    inv = M.dtype.type(1) / M.dtype.type(sigma)
    inner = np.dot(dM_sn.ravel(), M.ravel()) * inv  # <dM_sn, M_sn>
    for i in range(M.shape[0]):  # rows: (I,)
        for o in range(M.shape[1]):  # (O,), contiguous
            dM[i, o] = (dM_sn[i, o] - inner * (v[i] * u[o])) * inv


def _matrix(w):
    return np.ascontiguousarray(w).reshape(-1, w.shape[-1])


def spectral_norm_power_iteration(w, u, v, eps=1e-12):
    """One power-iteration step, in place on u (O,) and v (I,); w (I, O) or (KH, KW, C_in, O)."""
    check_spectral_norm("spectral_norm_power_iteration", w, u, v)
    spectral_norm_power_iteration_fast(_matrix(w), u, v, w.dtype.type(eps))


def spectral_norm_forward(w, u, v, out=None):
    """-> (w_sn, sigma): w / sigma with sigma = v^T M u, w_sn shaped as w, sigma a scalar of w's
    dtype. out: a Workspace (kernels/workspace.py) for w_sn and M u, or None to allocate them."""
    check_spectral_norm("spectral_norm_forward", w, u, v)
    w_sn = buffer(out, "spectral_norm.w_sn", w.shape, w.dtype)
    Mu = buffer(out, "spectral_norm.Mu", v.shape, w.dtype)
    sigma = spectral_norm_forward_fast(_matrix(w), u, v, Mu, _matrix(w_sn))
    return w_sn, w.dtype.type(sigma)


def spectral_norm_backward(dw_sn, w, u, v, sigma, out=None):
    """dw_sn shaped as w -> dw = (dw_sn - <dw_sn, w_sn> v u^T) / sigma, shaped as w; into a
    Workspace's "spectral_norm.dw" if out is one, else a fresh array."""
    check_spectral_norm("spectral_norm_backward", w, u, v, dw_sn)
    dw = buffer(out, "spectral_norm.dw", w.shape, w.dtype)
    spectral_norm_backward_fast(_matrix(dw_sn), _matrix(w), u, v, w.dtype.type(sigma), _matrix(dw))
    return dw
