"""Matrix products on the GPU: C = A @ B (+ bias per column), A (M, K), B (K, N); the tiled
one also C = (A @ B) / sigma (+ bias), sigma a (1,) device array (spectral norm's, so that
w / sigma is never written out: kernels/cpu/spectral_norm.py).

Two variants, both tested against NumPy:
- ``gemm_naive``: one thread per C element, a K-long dot product straight from global
  memory. What a student writes first.
- ``gemm_tiled``: each 16x16 block of threads computes a 16x16 tile of C, walking K in
  16-wide steps; per step the block loads one tile of A and one of B into shared memory
  (each element read from global memory once per block instead of 16 times), syncs,
  and every thread accumulates its 16 products from shared memory.
A and B may be transposed views (``w.T``): kernels index through strides.
"""

import numba
import numpy as np
from numba import cuda

from kernels.cuda.launch import TILE, device_empty, grid_1d


@cuda.jit
def _gemm_naive(A, B, bias, use_bias, C):
    i = cuda.grid(1)
    M, N = C.shape
    if i < M * N:
        r, c = i // N, i % N  # C element (r, c)
        acc = bias[c] if use_bias else C.dtype.type(0)
        for k in range(A.shape[1]):  # dot(A[r, :], B[:, c])
            acc += A[r, k] * B[k, c]
        C[r, c] = acc


def _make_tiled(dtype):
    nb = numba.from_dtype(np.dtype(dtype))

    @cuda.jit
    def gemm(A, B, bias, use_bias, sigma, use_sigma, C):
        sA = cuda.shared.array((TILE, TILE), nb)  # A[row block, k tile]
        sB = cuda.shared.array((TILE, TILE), nb)  # B[k tile, col block]
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        M, K = A.shape
        N = B.shape[1]
        zero = C.dtype.type(0)
        acc = zero
        for t in range((K + TILE - 1) // TILE):  # K in TILE-wide steps
            ka = t * TILE + tx
            sA[ty, tx] = A[row, ka] if row < M and ka < K else zero  # zero-fill past the edges
            kb = t * TILE + ty
            sB[ty, tx] = B[kb, col] if kb < K and col < N else zero
            cuda.syncthreads()  # the tiles are complete
            for kk in range(TILE):
                acc += sA[ty, kk] * sB[kk, tx]
            cuda.syncthreads()  # everyone is done reading before the next load
        if row < M and col < N:
            if use_sigma:
                acc *= C.dtype.type(1) / sigma[0]  # the reciprocal times, as the CPU epilogue does
            if use_bias:
                acc += bias[col]
            C[row, col] = acc

    return gemm


_TILED = {np.dtype(np.float32): _make_tiled(np.float32), np.dtype(np.float64): _make_tiled(np.float64)}


def _out(A, B, bias, C):
    if C is None:
        C = device_empty((A.shape[0], B.shape[1]), A.dtype)
    use_bias = bias is not None
    return C, (bias if use_bias else C[0]), use_bias  # a dummy row stands in for a missing bias


def gemm_naive(A, B, bias=None, C=None):
    """-> C = A @ B (+ bias), into C if given (M, N), else a new array."""
    C, bias, use_bias = _out(A, B, bias, C)
    blocks, threads = grid_1d(C.shape[0] * C.shape[1])
    _gemm_naive[blocks, threads](A, B, bias, use_bias, C)
    return C


def gemm_tiled(A, B, bias=None, C=None, sigma=None):
    """-> C = A @ B (+ bias), or with sigma (1,) C = (A @ B) / sigma (+ bias); into C if given
    (M, N), else a new array."""
    C, bias, use_bias = _out(A, B, bias, C)
    use_sigma = sigma is not None
    blocks = ((C.shape[1] + TILE - 1) // TILE, (C.shape[0] + TILE - 1) // TILE)
    _TILED[np.dtype(A.dtype)][blocks, (TILE, TILE)](A, B, bias, use_bias, sigma if use_sigma else bias, use_sigma, C)
    return C


@cuda.jit
def _column_sums(a, out):
    c = cuda.grid(1)
    if c < a.shape[1]:
        acc = a.dtype.type(0)
        for r in range(a.shape[0]):  # sum down column c
            acc += a[r, c]
        out[c] = acc


def column_sums(a, out=None):
    """(R, C) -> (C,): bias gradients, one thread per column; into out (C,) if given."""
    if out is None:
        out = device_empty((a.shape[1],), a.dtype)
    blocks, threads = grid_1d(a.shape[1])
    _column_sums[blocks, threads](a, out)
    return out
