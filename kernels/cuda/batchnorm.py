"""Batch normalisation of (N, F) on the GPU (math: kernels/cpu/batchnorm.py).
Statistics: one thread per feature looping over the batch; the rest one thread per element."""

import math

from numba import cuda

from kernels.checks import check_same_shape, require_ndim, require_same_dtype, require_shape
from kernels.cuda.launch import device_empty, grid_1d


@cuda.jit
def _stats(x, eps, mean, inv_std):
    f = cuda.grid(1)
    N, F = x.shape
    if f < F:
        zero = x.dtype.type(0)
        s = zero
        for n in range(N):
            s += x[n, f]
        mu = s / x.dtype.type(N)
        q = zero
        for n in range(N):  # second pass about the mean: no cancellation
            d = x[n, f] - mu
            q += d * d
        mean[f] = mu
        inv_std[f] = x.dtype.type(1) / math.sqrt(q / x.dtype.type(N) + x.dtype.type(eps))


@cuda.jit
def _normalise(x, gamma, beta, mean, inv_std, y, xhat):
    i = cuda.grid(1)
    N, F = x.shape
    if i < x.size:
        n, f = i // F, i % F
        xhat[n, f] = (x[n, f] - mean[f]) * inv_std[f]
        y[n, f] = gamma[f] * xhat[n, f] + beta[f]


@cuda.jit
def _param_grads(dy, xhat, dgamma, dbeta):
    f = cuda.grid(1)
    if f < dy.shape[1]:
        gs = dy.dtype.type(0)
        bs = dy.dtype.type(0)
        for n in range(dy.shape[0]):
            bs += dy[n, f]
            gs += dy[n, f] * xhat[n, f]
        dgamma[f] = gs
        dbeta[f] = bs


@cuda.jit
def _dx(dy, xhat, gamma, inv_std, dgamma, dbeta, dx):
    i = cuda.grid(1)
    N, F = dy.shape
    if i < dy.size:
        n, f = i // F, i % F
        nn = dy.dtype.type(N)
        dxhat = dy[n, f] * gamma[f]
        dx[n, f] = inv_std[f] / nn * (nn * dxhat - gamma[f] * dbeta[f] - xhat[n, f] * gamma[f] * dgamma[f])


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


def batchnorm_forward(x, gamma, beta, eps=1e-3):
    require_same_dtype("batchnorm_forward", x=x, gamma=gamma, beta=beta)
    require_ndim("batchnorm_forward", "x", x, 2, "(N, F)")
    require_shape("batchnorm_forward", "gamma", gamma, (x.shape[1],), f"one scale per feature, x.shape={tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(f"batchnorm_forward: x has batch size {x.shape[0]}; batch statistics need at least 2 samples")
    F = x.shape[1]
    mean, inv_std = device_empty((F,), x.dtype), device_empty((F,), x.dtype)
    blocks, threads = grid_1d(F)
    _stats[blocks, threads](x, eps, mean, inv_std)
    y, xhat = device_empty(x.shape, x.dtype), device_empty(x.shape, x.dtype)
    blocks, threads = grid_1d(x.size)
    _normalise[blocks, threads](x, gamma, beta, mean, inv_std, y, xhat)
    return y, mean, inv_std, xhat


def batchnorm_backward(dy, xhat, gamma, inv_std):
    check_same_shape("batchnorm_backward", dy=dy, xhat=xhat)
    F = dy.shape[1]
    dgamma, dbeta = device_empty((F,), dy.dtype), device_empty((F,), dy.dtype)
    blocks, threads = grid_1d(F)
    _param_grads[blocks, threads](dy, xhat, dgamma, dbeta)
    dx = device_empty(dy.shape, dy.dtype)
    blocks, threads = grid_1d(dy.size)
    _dx[blocks, threads](dy, xhat, gamma, inv_std, dgamma, dbeta, dx)
    return dx, dgamma, dbeta


def batchnorm_inference(x, gamma, beta, mean, var, eps=1e-3):
    require_same_dtype("batchnorm_inference", x=x, gamma=gamma, beta=beta, mean=mean, var=var)
    y = device_empty(x.shape, x.dtype)
    blocks, threads = grid_1d(x.size)
    _inference[blocks, threads](x, gamma, beta, mean, var, eps, y)
    return y


def batchnorm_running_update(moving_mean, moving_var, mean, inv_std, momentum, eps=1e-3):
    """In place: moving = momentum * moving + (1 - momentum) * batch statistic."""
    blocks, threads = grid_1d(mean.size)
    _running_update[blocks, threads](moving_mean, moving_var, mean, inv_std, momentum, 1.0 - momentum, eps)
