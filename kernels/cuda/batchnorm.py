"""Batch normalisation of (N, F) on the GPU (math: kernels/cpu/batchnorm.py).
Statistics: one thread per feature looping over the batch; the rest one thread per element.
With ``reduce`` the per-feature sums (device arrays) are summed over the batch's shards
between the passes, as on the CPU. An activation after the layer runs as its own elementwise pass,
as after the GEMMs (kernels/cuda/epilogue.py)."""

import math

from numba import cuda

from kernels.checks import (
    check_activation,
    check_activation_output,
    check_batch_count,
    check_batchnorm,
    check_batchnorm_backward,
    check_running_update,
)
from kernels.cuda.epilogue import activation_backward, activation_forward
from kernels.cuda.launch import device_empty, grid_1d
from kernels.cuda.memory import buffer


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


def batchnorm_forward(x, gamma, beta, eps=1e-3, reduce=None, activation=None, alpha=0.2, out=None):
    activation = check_activation("batchnorm_forward", activation, alpha)
    check_batchnorm("batchnorm_forward", x, gamma, beta, reduce)
    F = x.shape[1]
    sums, squares = buffer(out, "batchnorm.sums", (F + 1,), x.dtype), buffer(out, "batchnorm.squares", (F,), x.dtype)
    blocks, threads = grid_1d(F)
    _feature_sums[blocks, threads](x, sums)
    sums = _whole_batch(reduce, sums)
    check_batch_count("batchnorm_forward", x.shape[0] if reduce is None else float(sums[F]))
    _centred_square_sums[blocks, threads](x, sums, squares)
    squares = _whole_batch(reduce, squares)
    mean, inv_std = buffer(out, "batchnorm.mean", (F,), x.dtype), buffer(out, "batchnorm.inv_std", (F,), x.dtype)
    _statistics[blocks, threads](sums, squares, eps, mean, inv_std)
    y, xhat = buffer(out, "batchnorm.y", x.shape, x.dtype), buffer(out, "batchnorm.xhat", x.shape, x.dtype)
    blocks, threads = grid_1d(x.size)
    _normalise[blocks, threads](x, gamma, beta, mean, inv_std, y, xhat)
    return activation_forward(y, activation, alpha, out), mean, inv_std, xhat


def batchnorm_backward(dy, xhat, gamma, inv_std, reduce=None, y=None, activation=None, alpha=0.2, out=None):
    check_batchnorm_backward("batchnorm_backward", dy, xhat, gamma, inv_std, reduce)
    check_activation_output("batchnorm_backward", activation, y, dy)
    dy = activation_backward(dy, y, check_activation("batchnorm_backward", activation, alpha), alpha, out)  # dpre
    F = dy.shape[1]
    local = buffer(out, "batchnorm.gradient_sums", (2 * F + 1,), dy.dtype)
    blocks, threads = grid_1d(F)
    _gradient_sums[blocks, threads](dy, xhat, local)
    dx = buffer(out, "batchnorm.dx", dy.shape, dy.dtype)
    blocks, threads = grid_1d(dy.size)
    _input_grad[blocks, threads](dy, xhat, gamma, inv_std, _whole_batch(reduce, local), dx)
    return dx, local[F:2 * F], local[:F]


def batchnorm_inference(x, gamma, beta, mean, var, eps=1e-3, activation=None, alpha=0.2):
    activation = check_activation("batchnorm_inference", activation, alpha)
    check_batchnorm("batchnorm_inference", x, gamma, beta, mean=mean, var=var)
    y = device_empty(x.shape, x.dtype)
    blocks, threads = grid_1d(x.size)
    _inference[blocks, threads](x, gamma, beta, mean, var, eps, y)
    return activation_forward(y, activation, alpha)


def batchnorm_running_update(moving_mean, moving_var, mean, inv_std, momentum, eps=1e-3):
    """In place: moving = momentum * moving + (1 - momentum) * batch statistic."""
    check_running_update("batchnorm_running_update", moving_mean, moving_var, mean, inv_std, momentum)
    blocks, threads = grid_1d(mean.size)
    _running_update[blocks, threads](moving_mean, moving_var, mean, inv_std, momentum, 1.0 - momentum, eps)
