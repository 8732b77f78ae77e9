"""Spectral normalisation of a weight (Miyato et al. 2018), as plain loops over M (I, O).

The layer uses W / sigma(W), where sigma(W) is W's largest singular value. A dense kernel
w (I, O), or a conv kernel (KH, KW, C_in, C_out) read as the matrix M = w.reshape(I, O). The
singular vectors u (O,) and v (I,) are estimated by power iteration, one step a training step:
    v = M u / |M u|,    u = M^T v / |M^T v|          (power_iteration, in place on u and v)
With u and v held constant, as the paper does:
    sigma = v^T M u,          w_sn = w / sigma                               (sigma_of)
    dL/dM = dw_sn / sigma - (<dw_sn, M> / sigma^2) v u^T
where <a, b> sums a * b over every entry and dw_sn = dL/dw_sn. The readable engine takes it
in two steps (kernels/reference/engine.py): the layer's kernel gives dw = dw_sn / sigma, the
gradient with sigma held fixed, and sigma_backward adds sigma's own dependence on M:
    dL/dM = dw - (<dw, M> / sigma) v u^T

Right after a power-iteration step, v^T M u = (M^T v) . u = |M^T v|, the norm the step
divided u by: the step returns it, as |M^T v|^2 / max(|M^T v|, eps), which is v^T M u exactly
when the eps clamp acts too.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def power_iteration(M, u, v, eps):
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
    norm = np.sqrt(norm)
    clamped = max(norm, t(eps))
    for o in range(O):
        u[o] /= clamped
    return norm * (norm / clamped)  # sigma = v^T M u for the new u (module docstring)


@njit(cache=True)
def sigma_of(M, u, v):
    I, O = M.shape
    sigma = M.dtype.type(0)
    for i in range(I):  # sigma = v^T M u
        acc = M.dtype.type(0)
        for o in range(O):
            acc += M[i, o] * u[o]
        sigma += v[i] * acc
    return sigma


@njit(cache=True)
def sigma_backward(dM, M, u, v, sigma):
    # forward was sigma = v^T M u (u, v constant); the layer used M / sigma, and dM is its
    # gradient with sigma held fixed
    I, O = M.shape
    inner = M.dtype.type(0)
    for i in range(I):  # <dM, M>
        for o in range(O):
            inner += dM[i, o] * M[i, o]
    c = inner / M.dtype.type(sigma)
    out = np.empty_like(M)
    for i in range(I):  # dM - (<dM, M> / sigma) v u^T: (I, O)
        for o in range(O):
            out[i, o] = dM[i, o] - c * v[i] * u[o]
    return out
