"""Batch normalisation of (N, F) on the GPU (math: kernels/cpu/batchnorm.py):
y = act(gamma * (x - mean) * inv_std + beta), the statistics over the batch axis.
Statistics: one thread per feature looping over the batch; the rest one thread per element.
With the spec's ``reduce`` the per-feature sums (device arrays) are summed over the batch's
shards between the passes, as on the CPU. The spec's activation runs as its own elementwise
pass, as after the GEMMs (kernels/cuda/epilogue.py), and the backward reads act' off the
output y that the cache keeps."""

import math

from numba import cuda

from kernels.checks import (
    check_batch_count,
    check_batchnorm,
    check_batchnorm_backward,
    check_cache,
    check_running_update,
)
from kernels.cuda.epilogue import activation_backward, activation_forward
from kernels.cuda.launch import device_empty, grid_1d
from kernels.cuda.memory import buffer
from kernels.specs import BatchNormCache


@cuda.jit
def _feature_sums(x, sums):
    f = cuda.grid(1)
    N, F = x.shape
    if f < F:
        s = x.dtype.type(0)
        for n in range(N):
            s += x[n, f]
        sums[f] = s
    if f == 0:
        sums[F] = N  # the row count travels with the sums


@cuda.jit
def _centred_square_sums(x, sums, squares):
    f = cuda.grid(1)
    N, F = x.shape
    if f < F:
        inv_n = x.dtype.type(1) / sums[F]
        q = x.dtype.type(0)
        for n in range(N):  # second pass about the mean: no cancellation
            d = x[n, f] - sums[f] * inv_n
            q += d * d
        squares[f] = q


@cuda.jit
def _statistics(sums, squares, eps, mean, inv_std):
    f = cuda.grid(1)
    F = mean.size
    if f < F:
        one = mean.dtype.type(1)
        inv_n = one / sums[F]
        mean[f] = sums[f] * inv_n
        inv_std[f] = one / math.sqrt(squares[f] * inv_n + mean.dtype.type(eps))


@cuda.jit
def _normalise(x, gamma, beta, mean, inv_std, y, xhat):
    i = cuda.grid(1)
    N, F = x.shape
    if i < x.size:
        n, f = i // F, i % F
        xhat[n, f] = (x[n, f] - mean[f]) * inv_std[f]
        y[n, f] = gamma[f] * xhat[n, f] + beta[f]


@cuda.jit
def _gradient_sums(dy, xhat, sums):
    f = cuda.grid(1)
    N, F = dy.shape
    if f < F:
        bs = dy.dtype.type(0)
        gs = dy.dtype.type(0)
        for n in range(N):
            bs += dy[n, f]
            gs += dy[n, f] * xhat[n, f]
        sums[f] = bs  # dbeta
        sums[F + f] = gs  # dgamma
    if f == 0:
        sums[2 * F] = N


@cuda.jit
def _input_grad(dy, xhat, gamma, inv_std, sums, dx):
    i = cuda.grid(1)
    N, F = dy.shape
    if i < dy.size:
        n, f = i // F, i % F
        nn = sums[2 * F]
        dxhat = dy[n, f] * gamma[f]
        dx[n, f] = inv_std[f] / nn * (nn * dxhat - gamma[f] * sums[f] - xhat[n, f] * gamma[f] * sums[F + f])


@cuda.jit
def _inference(x, gamma, beta, mean, var, eps, y):
    i = cuda.grid(1)
    N, F = x.shape
    if i < x.size:
        n, f = i // F, i % F
        scale = gamma[f] / math.sqrt(var[f] + x.dtype.type(eps))
        y[n, f] = (x[n, f] - mean[f]) * scale + beta[f]


@cuda.jit
def _running_update(moving_mean, moving_var, mean, inv_std, momentum, one_minus_momentum, eps):
    f = cuda.grid(1)
    if f < mean.size:
        t = mean.dtype.type
        var = t(1) / (inv_std[f] * inv_std[f]) - t(eps)
        moving_mean[f] = t(momentum) * moving_mean[f] + t(one_minus_momentum) * mean[f]
        moving_var[f] = t(momentum) * moving_var[f] + t(one_minus_momentum) * var


def _whole_batch(reduce, sums):
    return sums if reduce is None else reduce(sums)


def batchnorm_forward(x, gamma, beta, spec, out=None):
    """x (N, F), gamma, beta (F,) -> y (N, F) and its cache (the batch mean, inv_std and xhat).

    spec: a BatchNormSpec (kernels/specs.py): eps, the activation, and reduce, with which x is
    this process's shard of the batch and the statistics are the whole batch's.
    out: a Workspace for the results and the sums, or None."""
    check_batchnorm("batchnorm_forward", x, gamma, beta)
    F = x.shape[1]
    sums, squares = buffer(out, "batchnorm.sums", (F + 1,), x.dtype), buffer(out, "batchnorm.squares", (F,), x.dtype)
    blocks, threads = grid_1d(F)
    _feature_sums[blocks, threads](x, sums)
    sums = _whole_batch(spec.reduce, sums)
    # one process: the count is x's rows, known without copying sums back from the device
    check_batch_count("batchnorm_forward", x.shape[0] if spec.reduce is None else float(sums[F]))
    _centred_square_sums[blocks, threads](x, sums, squares)
    squares = _whole_batch(spec.reduce, squares)
    mean, inv_std = buffer(out, "batchnorm.mean", (F,), x.dtype), buffer(out, "batchnorm.inv_std", (F,), x.dtype)
    _statistics[blocks, threads](sums, squares, float(spec.eps), mean, inv_std)
    h, xhat = buffer(out, "batchnorm.y", x.shape, x.dtype), buffer(out, "batchnorm.xhat", x.shape, x.dtype)
    blocks, threads = grid_1d(x.size)
    _normalise[blocks, threads](x, gamma, beta, mean, inv_std, h, xhat)
    y = activation_forward(h, spec.activation, out)
    return y, BatchNormCache(xhat, mean, inv_std, gamma, spec, None, y)


def batchnorm_backward(dy, cache, out=None):
    """dy (N, F) and the forward's cache -> dx (N, F), dgamma (F,), dbeta (F,), through
    dpre = dy * act'(.) read off the forward's y.

    With the spec's reduce, dx takes the whole batch's sums, and dgamma, dbeta are this
    shard's part of theirs (summed with the other gradients later). out as in batchnorm_forward."""
    check_cache("batchnorm_backward", cache, BatchNormCache)
    xhat, _, inv_std, gamma, spec, _, y = cache
    check_batchnorm_backward("batchnorm_backward", dy, xhat, gamma, inv_std)
    dpre = activation_backward(dy, y, spec.activation, out)
    F = dy.shape[1]
    local = buffer(out, "batchnorm.gradient_sums", (2 * F + 1,), dy.dtype)
    blocks, threads = grid_1d(F)
    _gradient_sums[blocks, threads](dpre, xhat, local)
    dx = buffer(out, "batchnorm.dx", dy.shape, dy.dtype)
    blocks, threads = grid_1d(dy.size)
    _input_grad[blocks, threads](dpre, xhat, gamma, inv_std, _whole_batch(spec.reduce, local), dx)
    return dx, local[F:2 * F], local[:F]


def batchnorm_inference(x, gamma, beta, moving_mean, moving_var, spec):
    """Inference mode: y = act(gamma * (x - mean) / sqrt(var + eps) + beta) with the running
    statistics; spec as in batchnorm_forward."""
    check_batchnorm("batchnorm_inference", x, gamma, beta, mean=moving_mean, var=moving_var)
    y = device_empty(x.shape, x.dtype)
    blocks, threads = grid_1d(x.size)
    _inference[blocks, threads](x, gamma, beta, moving_mean, moving_var, float(spec.eps), y)
    return activation_forward(y, spec.activation)


def batchnorm_running_update(moving_mean, moving_var, cache, momentum):
    """In place: moving = momentum * moving + (1 - momentum) * the batch statistic of the forward
    that returned cache (Keras' rule; the variance is recovered from inv_std)."""
    check_cache("batchnorm_running_update", cache, BatchNormCache)
    mean, inv_std, eps = cache.mean, cache.inv_std, cache.spec.eps
    check_running_update("batchnorm_running_update", moving_mean, moving_var, mean, inv_std, momentum)
    blocks, threads = grid_1d(mean.size)
    _running_update[blocks, threads](moving_mean, moving_var, mean, inv_std, momentum, 1.0 - momentum, float(eps))
