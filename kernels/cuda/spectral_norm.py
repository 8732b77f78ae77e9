"""Spectral normalisation on the GPU (math and gradient: kernels/cpu/spectral_norm.py).

The kernel w is read as the matrix M (I, O). Matrix-vector products: one thread per output
entry (M u: a thread per row; M^T v: a thread per column, so neighbouring threads read
neighbouring entries). Sums of a vector (norms, v^T (M u), and the row sums of
dw_sn * w): one thread, over at most I entries; the (I, O) sum itself is first split into
I row sums, one thread each. sigma stays on the device as a (1,) array."""

import math

from numba import cuda

from kernels.checks import check_spectral_norm
from kernels.cuda.launch import device_empty, flat, grid_1d
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
def _scale(M, sigma, out):
    i = cuda.grid(1)
    if i < M.size:
        out[i] = M[i] / sigma[0]


@cuda.jit
def _backward(dM_sn, M, u, v, sigma, inner, dM):
    i = cuda.grid(1)
    I, O = M.shape
    if i < M.size:
        r, c = i // O, i % O  # (I, O)
        # inner[0] holds <dM_sn, M>; <dM_sn, M_sn> = inner / sigma
        dM[r, c] = (dM_sn[r, c] - inner[0] / sigma[0] * v[r] * u[c]) / sigma[0]


def _matrix(w):
    n_out = w.shape[len(w.shape) - 1]  # not shape[-1]: the simulator's shapes take no negative index
    return w.reshape(w.size // n_out, n_out)


def _launch(kernel, n, *args):
    blocks, threads = grid_1d(n)
    kernel[blocks, threads](*args)


def _normalise_in_place(a, eps):
    norm = device_empty(1, a.dtype)
    _launch(_dot, 1, a, a, norm)
    _launch(_normalise, a.size, a, eps, norm)


def spectral_norm_power_iteration(w, u, v, eps=1e-12):
    """One power-iteration step, in place on u (O,) and v (I,)."""
    check_spectral_norm("spectral_norm_power_iteration", w, u, v)
    M = _matrix(w)
    _launch(_matvec, v.size, M, u, v)  # v = M u
    _normalise_in_place(v, eps)
    _launch(_matvec_t, u.size, M, v, u)  # u = M^T v
    _normalise_in_place(u, eps)


def spectral_norm_forward(w, u, v, out=None):
    """-> (w_sn, sigma): w / sigma, sigma = v^T M u as a (1,) device array."""
    check_spectral_norm("spectral_norm_forward", w, u, v)
    M = _matrix(w)
    mu = buffer(out, "spectral_norm.Mu", (v.size,), w.dtype)
    _launch(_matvec, v.size, M, u, mu)
    sigma = buffer(out, "spectral_norm.sigma", (1,), w.dtype)
    _launch(_dot, 1, v, mu, sigma)
    w_sn = buffer(out, "spectral_norm.w_sn", w.shape, w.dtype)
    _launch(_scale, w.size, flat(w), sigma, flat(w_sn))
    return w_sn, sigma


def spectral_norm_backward(dw_sn, w, u, v, sigma, out=None):
    """dw = (dw_sn - <dw_sn, w_sn> v u^T) / sigma, shaped as w."""
    check_spectral_norm("spectral_norm_backward", w, u, v, dw_sn)
    M, dM_sn = _matrix(w), _matrix(dw_sn)
    rows = buffer(out, "spectral_norm.rows", (v.size,), w.dtype)
    _launch(_row_inner, v.size, dM_sn, M, rows)
    inner = buffer(out, "spectral_norm.inner", (1,), w.dtype)
    _launch(_total, 1, rows, inner)
    dw = buffer(out, "spectral_norm.dw", w.shape, w.dtype)
    _launch(_backward, w.size, dM_sn, M, u, v, sigma, inner, _matrix(dw))
    return dw
