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

How it runs here: the power-iteration step is one pass over M where its formulas take two,
and the passes over a large M run on all the threads (kernels/cpu/parallel.py's by_size).
The step needs M^T v with v = M u / |M u|; |M u| is a scalar, so M^T v = (M^T M u) / |M u|,
and M^T M u = sum over rows i of (M_i . u) M_i: each row's dot product, then the same row
times it, while the row is still in the cache. Rows go in fixed blocks of ROW_BLOCK, each
block's sums into an entry of its own, and the blocks' sums are added in a fixed order: the
same bits on one thread or many.
"""

import numpy as np
from numba import njit, prange

from kernels.checks import check_spectral_norm
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size

ROW_BLOCK = 32  # rows of M per block: its partial sums are one task's, a block of the big kernels fits in L2
# Sums in any order: a float reduction in a Numba loop otherwise runs one add at a time (LLVM
# may not reorder it), and reordering is all this flag allows; NaN and inf go through.
REORDER_SUMS = {"reassoc"}


def blocks_of(M):
    return -(-M.shape[0] // ROW_BLOCK)


@by_size(fastmath=REORDER_SUMS)
def _power_pass(M, u, Mu, block_sums):
    # M (I, O), u (O,) -> Mu (I,) = M u; block_sums (blocks, O): each block's sum of Mu[i] * M[i, :]
    I, O = M.shape
    for blk in prange(block_sums.shape[0]):  # blocks of ROW_BLOCK rows
        acc = block_sums[blk]
        for o in range(O):
            acc[o] = 0
        for i in range(blk * ROW_BLOCK, min(I, (blk + 1) * ROW_BLOCK)):  # rows
            s = M.dtype.type(0)
            for o in range(O):  # (O,): the row's dot product with u
                s += M[i, o] * u[o]
            Mu[i] = s
            for o in range(O):  # the same row again, from the cache
                acc[o] += s * M[i, o]


@njit(cache=True, fastmath=REORDER_SUMS)
def _squared_norm(a):
    total = a.dtype.type(0)
    for i in range(a.size):
        total += a[i] * a[i]
    return total


@njit(cache=True, fastmath=REORDER_SUMS)
def _finish_power_iteration(block_sums, u, v, eps):
    """v holds M u and block_sums M^T M u in blocks -> v, u normalised; sigma = v^T M u.
    block_sums[0] ends up holding M^T v."""
    MtMu = block_sums[0]
    for blk in range(1, block_sums.shape[0]):  # in block order
        MtMu += block_sums[blk]
    v_clamped = max(np.sqrt(_squared_norm(v)), eps)
    v /= v_clamped  # v = M u / |M u|
    MtMu /= v_clamped  # now M^T v
    norm = np.sqrt(_squared_norm(MtMu))
    clamped = max(norm, eps)
    for o in range(u.size):  # (O,)
        u[o] = MtMu[o] / clamped
    return norm * (norm / clamped)  # sigma = v^T M u for the new u


@by_size(fastmath=REORDER_SUMS)
def _sigma_pass(M, u, v, block_sums):
    # M (I, O), u (O,), v (I,) -> block_sums (blocks,): each block's share of v^T M u
    I, O = M.shape
    for blk in prange(block_sums.shape[0]):
        total = M.dtype.type(0)
        for i in range(blk * ROW_BLOCK, min(I, (blk + 1) * ROW_BLOCK)):  # rows
            s = M.dtype.type(0)
            for o in range(O):  # (O,)
                s += M[i, o] * u[o]
            total += v[i] * s
        block_sums[blk] = total


@by_size(fastmath=REORDER_SUMS)
def _inner_pass(A, B, block_sums):
    # A, B (I, O) -> block_sums (blocks,): each block's share of <A, B>
    I, O = A.shape
    for blk in prange(block_sums.shape[0]):
        total = A.dtype.type(0)
        for i in range(blk * ROW_BLOCK, min(I, (blk + 1) * ROW_BLOCK)):  # rows
            for o in range(O):  # (O,)
                total += A[i, o] * B[i, o]
        block_sums[blk] = total


@by_size
def _minus_rank_one(dM, u, v, c, out):
    # out (I, O) <- dM - c v u^T
    I, O = dM.shape
    for i in prange(I):  # rows
        cv = c * v[i]
        for o in range(O):  # (O,), contiguous
            out[i, o] = dM[i, o] - cv * u[o]


def as_matrix(w):
    """A dense (I, O) or conv (KH, KW, C_in, O) kernel as the matrix M (I, O) spectral norm reads."""
    return np.ascontiguousarray(w).reshape(-1, w.shape[-1])


def spectral_norm_power_iteration(w, u, v, eps=1e-12, out=None):
    """One power-iteration step, in place on u (O,) and v (I,); w (I, O) or (KH, KW, C_in, O).
    -> sigma = v^T M u for the new u and v, a scalar of w's dtype: what spectral_norm_forward(w,
    u, v) returns now (up to rounding), known from the step's last norm without a pass over M.
    out: a Workspace (kernels/workspace.py) for the blocks' sums, or None to allocate them."""
    check_spectral_norm("spectral_norm_power_iteration", w, u, v)
    M = as_matrix(w)
    block_sums = buffer(out, "spectral_norm.power_blocks", (blocks_of(M), M.shape[1]), w.dtype)
    _power_pass(M, u, v, block_sums)  # v = M u for now
    return w.dtype.type(_finish_power_iteration(block_sums, u, v, w.dtype.type(eps)))


def spectral_norm_forward(w, u, v, out=None):
    """-> sigma = v^T M u, a scalar of w's dtype: what the layer divides by, passed as sigma= to
    dense_forward / conv2d_forward (w / sigma itself is never formed). out: a Workspace for the
    blocks' sums, or None to allocate them."""
    check_spectral_norm("spectral_norm_forward", w, u, v)
    M = as_matrix(w)
    block_sums = buffer(out, "spectral_norm.block_sums", (blocks_of(M),), w.dtype)
    _sigma_pass(M, u, v, block_sums)
    return w.dtype.type(block_sums.sum())


def spectral_norm_backward(dw, w, u, v, sigma, out=None):
    """dw: dL/dw with sigma held fixed (what dense_backward / conv2d_backward return given
    sigma), shaped as w -> dL/dw = dw - (<dw, w> / sigma) v u^T, shaped as w; into a
    Workspace's "spectral_norm.dw" if out is one, else a fresh array."""
    check_spectral_norm("spectral_norm_backward", w, u, v, dw)
    M, dM = as_matrix(w), as_matrix(dw)
    block_sums = buffer(out, "spectral_norm.block_sums", (blocks_of(M),), w.dtype)
    _inner_pass(dM, M, block_sums)
    grad = buffer(out, "spectral_norm.dw", w.shape, w.dtype)
    _minus_rank_one(dM, u, v, w.dtype.type(block_sums.sum() / w.dtype.type(sigma)), as_matrix(grad))
    return grad
