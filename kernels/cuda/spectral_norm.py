"""Spectral normalisation on the GPU (math and gradient: kernels/cpu/spectral_norm.py).

The kernel w is read as the matrix M (I, O). Matrix-vector products: one thread per output
entry (M u: a thread per row; M^T v: a thread per column, so neighbouring threads read
neighbouring entries). Sums of a vector (norms, v^T (M u), and the row sums of dw * w):
one thread, over at most I entries; the (I, O) sum itself is first split into I row sums,
one thread each. sigma stays on the device as a (1,) array, which the tiled GEMMs of the
layer's dense or conv kernels divide by (w / sigma is never written out)."""

import math

from numba import cuda

from kernels.checks import check_spectral_norm
from kernels.cuda.launch import grid_1d
from kernels.cuda.memory import buffer


@cuda.jit
def _matvec(M, x, out):
    i = cuda.grid(1)
    I, O = M.shape
    if i < I:
        acc = M.dtype.type(0)
        for o in range(O):  # out = M x: (I,)
            acc += M[i, o] * x[o]
        out[i] = acc


@cuda.jit
def _matvec_t(M, x, out):
    o = cuda.grid(1)
    I, O = M.shape
    if o < O:
        acc = M.dtype.type(0)
        for i in range(I):  # out = M^T x: (O,)
            acc += M[i, o] * x[i]
        out[o] = acc


@cuda.jit
def _row_inner(A, B, out):
    i = cuda.grid(1)
    I, O = A.shape
    if i < I:
        acc = A.dtype.type(0)
        for o in range(O):  # sum_o A[i, o] B[i, o]: (I,)
            acc += A[i, o] * B[i, o]
        out[i] = acc


@cuda.jit
def _dot(a, b, out):
    if cuda.grid(1) == 0:  # one thread
        acc = a.dtype.type(0)
        for i in range(a.size):
            acc += a[i] * b[i]
        out[0] = acc


@cuda.jit
def _total(a, out):
    if cuda.grid(1) == 0:  # one thread
        acc = a.dtype.type(0)
        for i in range(a.size):
            acc += a[i]
        out[0] = acc


@cuda.jit
def _normalise(a, eps, norm):
    i = cuda.grid(1)
    if i < a.size:
        a[i] /= max(math.sqrt(norm[0]), a.dtype.type(eps))  # norm holds |a|^2


@cuda.jit
def _backward(dM, M, u, v, sigma, inner, out):
    i = cuda.grid(1)
    I, O = M.shape
    if i < M.size:
        r, c = i // O, i % O  # (I, O)
        # inner[0] holds <dM, M>; dM is the gradient with sigma held fixed
        out[r, c] = dM[r, c] - inner[0] / sigma[0] * v[r] * u[c]


def _matrix(w):
    n_out = w.shape[len(w.shape) - 1]  # not shape[-1]: the simulator's shapes take no negative index
    return w.reshape(w.size // n_out, n_out)


def _launch(kernel, n, *args):
    blocks, threads = grid_1d(n)
    kernel[blocks, threads](*args)


@cuda.jit
def _sigma_of_norm(norm, eps, sigma):
    if cuda.grid(1) == 0:  # one thread: norm holds |M^T v|^2
        n = math.sqrt(norm[0])
        sigma[0] = n * (n / max(n, sigma.dtype.type(eps)))  # v^T M u for the new u


def _normalise_in_place(a, eps, norm):
    """a /= max(|a|, eps); norm (1,) <- |a|^2 before. -> norm"""
    _launch(_dot, 1, a, a, norm)
    _launch(_normalise, a.size, a, eps, norm)
    return norm


def spectral_norm_power_iteration(w, u, v, eps=1e-12, out=None):
    """One power-iteration step, in place on u (O,) and v (I,) -> sigma = v^T M u for the new
    u and v, as a (1,) device array, from the step's last norm (kernels/cpu/spectral_norm.py).
    out: a Workspace for the norms and sigma, or None."""
    check_spectral_norm("spectral_norm_power_iteration", w, u, v)
    M = _matrix(w)
    _launch(_matvec, v.size, M, u, v)  # v = M u
    _normalise_in_place(v, eps, buffer(out, "spectral_norm.v_norm", (1,), w.dtype))
    _launch(_matvec_t, u.size, M, v, u)  # u = M^T v
    norm = _normalise_in_place(u, eps, buffer(out, "spectral_norm.u_norm", (1,), w.dtype))
    sigma = buffer(out, "spectral_norm.power_sigma", (1,), w.dtype)
    _launch(_sigma_of_norm, 1, norm, eps, sigma)
    return sigma


def spectral_norm_forward(w, u, v, out=None):
    """-> sigma = v^T M u as a (1,) device array, for the layer's kernel's sigma=."""
    check_spectral_norm("spectral_norm_forward", w, u, v)
    M = _matrix(w)
    mu = buffer(out, "spectral_norm.Mu", (v.size,), w.dtype)
    _launch(_matvec, v.size, M, u, mu)
    sigma = buffer(out, "spectral_norm.sigma", (1,), w.dtype)
    _launch(_dot, 1, v, mu, sigma)
    return sigma


def spectral_norm_backward(dw, w, u, v, sigma, out=None):
    """dw (with sigma held fixed) -> dL/dw = dw - (<dw, w> / sigma) v u^T, shaped as w."""
    check_spectral_norm("spectral_norm_backward", w, u, v, dw)
    M, dM = _matrix(w), _matrix(dw)
    rows = buffer(out, "spectral_norm.rows", (v.size,), w.dtype)
    _launch(_row_inner, v.size, dM, M, rows)
    inner = buffer(out, "spectral_norm.inner", (1,), w.dtype)
    _launch(_total, 1, rows, inner)
    grad = buffer(out, "spectral_norm.dw", w.shape, w.dtype)
    _launch(_backward, w.size, dM, M, u, v, sigma, inner, _matrix(grad))
    return grad
