"""Batch normalisation over the batch axis of (N, F) activations (training mode).

Per feature f, over the batch (derived in docs/batchnorm.md; plain loops in
kernels/reference/batchnorm.py):
    xhat = (x - mean_n x) * inv_std,  inv_std = 1 / sqrt(var_n x + eps),  y = gamma * xhat + beta
    dbeta = sum_n dy,   dgamma = sum_n dy * xhat
    dx    = gamma * inv_std * (dy - dbeta / N - xhat * dgamma / N)
(the two sums are the paths through the mean and through the variance).

How it runs here: the activation after the layer (the spec's) comes in the same pass, as after
a GEMM (kernels/cpu/epilogue.py): y = act(gamma * xhat + beta), and the backward applies the
formulas above to dpre = dy * act'(.), read off y, inside both of its passes.

At inference the layer uses running averages of mu and var instead (minigan/layers.py).
The forward's cache keeps xhat and inv_std for the backward, and the batch mean for the
running averages (the variance is recovered as 1/inv_std^2 - eps), so no pass is repeated.

Data parallelism (a batch split over processes) needs the statistics of the whole batch:
the spec's ``reduce`` is a callable that returns a small per-feature array
summed over every shard of the batch, as a new array (an MPI allreduce; minigan/distributed.py). Each pass is
then split where the sums are: partial sums over the rows here, reduce, then the rest.
Without ``reduce`` the same code runs with the rows here as the whole batch.
"""

import numpy as np
from numba import njit

from kernels.checks import check_batch_count, check_batchnorm, check_batchnorm_backward, check_cache, check_running_update
from kernels.cpu.epilogue import activate, activation_code, through_activation
from kernels.cpu.memory import buffer
from kernels.specs import BatchNormCache


@njit(cache=True)
def _feature_sums(x, sums):
    N, F = x.shape
    sums[:] = 0
    for n in range(N):  # sum over the rows: (F,), then the row count
        for f in range(F):
            sums[f] += x[n, f]
    sums[F] = N


@njit(cache=True)
def _centred_square_sums(x, sums, squares):
    # sums: the whole batch's (F,) feature sums and its row count, from _feature_sums
    N, F = x.shape
    inv_n = x.dtype.type(1) / sums[F]
    squares[:] = 0
    for n in range(N):  # about the batch mean (two passes: no cancellation): (F,)
        for f in range(F):
            d = x[n, f] - sums[f] * inv_n
            squares[f] += d * d


@njit(cache=True)
def _normalise(x, gamma, beta, sums, squares, eps, act, alpha, y, mean, inv_std, xhat):
    N, F = x.shape
    one, a, zero = x.dtype.type(1), x.dtype.type(alpha), x.dtype.type(0)
    inv_n = one / sums[F]
    for f in range(F):  # mu and 1 / sqrt(var + eps): (F,)
        mean[f] = sums[f] * inv_n
        inv_std[f] = one / np.sqrt(squares[f] * inv_n + x.dtype.type(eps))
    for n in range(N):  # normalise, scale, shift and activate: (N, F)
        for f in range(F):
            xhat[n, f] = (x[n, f] - mean[f]) * inv_std[f]
            y[n, f] = activate(gamma[f] * xhat[n, f] + beta[f], act, a, zero)


@njit(cache=True)
def _gradient_sums(dy, y, act, alpha, xhat, sums):
    # dpre = dy * act'(.) read off y (dy itself when linear)
    N, F = dy.shape
    a, zero = dy.dtype.type(alpha), dy.dtype.type(0)
    sums[:] = 0
    for n in range(N):  # (F,) dbeta = sum_n dpre, then (F,) dgamma = sum_n dpre * xhat, then the count
        for f in range(F):
            g = through_activation(dy[n, f], y[n, f], act, a, zero)
            sums[f] += g
            sums[F + f] += g * xhat[n, f]
    sums[2 * F] = N


@njit(cache=True)
def _input_grad(dy, y, act, alpha, xhat, gamma, inv_std, sums, dx):
    # forward was y = act(gamma * xhat + beta), xhat = (x - mean_batch(x)) * inv_std; sums: the whole
    # batch's dbeta, dgamma and count. sum_m dxhat[m, f] = gamma * dbeta; sum_m dxhat * xhat = gamma * dgamma
    N, F = dy.shape
    n_ = sums[2 * F]
    a, zero = dy.dtype.type(alpha), dy.dtype.type(0)
    for n in range(N):  # (N, F)
        for f in range(F):
            dxhat = through_activation(dy[n, f], y[n, f], act, a, zero) * gamma[f]
            dx[n, f] = inv_std[f] / n_ * (n_ * dxhat - gamma[f] * sums[f] - xhat[n, f] * gamma[f] * sums[F + f])


def _whole_batch(reduce, sums):
    return sums if reduce is None else reduce(sums)


def batchnorm_forward(x, gamma, beta, spec, out=None):
    """x (N, F), gamma, beta (F,) -> y (N, F) and its cache (the batch mean, inv_std and xhat).

    spec: a BatchNormSpec (kernels/specs.py): eps, the activation, and reduce, with which x is
    this process's shard of the batch and the statistics are the whole batch's.
    out: a Workspace (kernels/workspace.py) for the results and the sums, or None."""
    check_batchnorm("batchnorm_forward", x, gamma, beta)
    act, alpha = activation_code(spec.activation)
    x = np.ascontiguousarray(x)
    N, F = x.shape
    sums = buffer(out, "batchnorm.sums", (F + 1,), x.dtype)
    _feature_sums(x, sums)
    sums = _whole_batch(spec.reduce, sums)
    check_batch_count("batchnorm_forward", sums[-1])
    squares = buffer(out, "batchnorm.squares", (F,), x.dtype)
    _centred_square_sums(x, sums, squares)
    squares = _whole_batch(spec.reduce, squares)
    y, xhat = buffer(out, "batchnorm.y", x.shape, x.dtype), buffer(out, "batchnorm.xhat", x.shape, x.dtype)
    mean, inv_std = buffer(out, "batchnorm.mean", (F,), x.dtype), buffer(out, "batchnorm.inv_std", (F,), x.dtype)
    _normalise(x, gamma, beta, sums, squares, float(spec.eps), act, alpha, y, mean, inv_std, xhat)
    return y, BatchNormCache(xhat, mean, inv_std, gamma, spec, None, y)


def batchnorm_backward(dy, cache, out=None):
    """dy (N, F) and the forward's cache -> dx (N, F), dgamma (F,), dbeta (F,).

    With the spec's reduce, dx takes the whole batch's sums, and dgamma, dbeta are this
    shard's part of theirs (summed with the other gradients later). out as in batchnorm_forward."""
    check_cache("batchnorm_backward", cache, BatchNormCache)
    xhat, _, inv_std, gamma, spec, _, y = cache
    check_batchnorm_backward("batchnorm_backward", dy, xhat, gamma, inv_std)
    act, alpha = activation_code(spec.activation)
    dy = np.ascontiguousarray(dy)
    F = dy.shape[1]
    local = buffer(out, "batchnorm.gradient_sums", (2 * F + 1,), dy.dtype)
    _gradient_sums(dy, y, act, alpha, xhat, local)
    dx = buffer(out, "batchnorm.dx", dy.shape, dy.dtype)
    _input_grad(dy, y, act, alpha, xhat, gamma, inv_std, _whole_batch(spec.reduce, local), dx)
    dgamma, dbeta = buffer(out, "batchnorm.dgamma", (F,), dy.dtype), buffer(out, "batchnorm.dbeta", (F,), dy.dtype)
    dgamma[:], dbeta[:] = local[F:2 * F], local[:F]
    return dx, dgamma, dbeta


@njit(cache=True)
def _batchnorm_inference(x, gamma, beta, mean, var, eps, act, alpha):
    N, F = x.shape
    e = x.dtype.type(eps)
    one, a, zero = x.dtype.type(1), x.dtype.type(alpha), x.dtype.type(0)
    y = np.empty_like(x)
    for f in range(F):  # with fixed statistics the layer is one affine map per feature
        scale = gamma[f] * (one / np.sqrt(var[f] + e))
        shift = beta[f] - mean[f] * scale
        for n in range(N):
            y[n, f] = activate(x[n, f] * scale + shift, act, a, zero)
    return y


def batchnorm_inference(x, gamma, beta, moving_mean, moving_var, spec):
    """Inference mode: y = act(gamma * (x - mean) / sqrt(var + eps) + beta) with the running
    statistics; spec as in batchnorm_forward."""
    check_batchnorm("batchnorm_inference", x, gamma, beta, mean=moving_mean, var=moving_var)
    act, alpha = activation_code(spec.activation)
    return _batchnorm_inference(np.ascontiguousarray(x), gamma, beta, moving_mean, moving_var, float(spec.eps), act,
                                alpha)


@njit(cache=True)
def _batchnorm_running_update(moving_mean, moving_var, mean, inv_std, momentum, one_minus_momentum, eps):
    t = mean.dtype.type
    m, keep, e = t(momentum), t(one_minus_momentum), t(eps)
    for f in range(mean.size):  # (F,)
        var = t(1) / (inv_std[f] * inv_std[f]) - e  # the batch variance, recovered from inv_std
        moving_mean[f] = m * moving_mean[f] + keep * mean[f]
        moving_var[f] = m * moving_var[f] + keep * var


def batchnorm_running_update(moving_mean, moving_var, cache, momentum):
    """In place: moving = momentum * moving + (1 - momentum) * the batch statistic of the forward
    that returned cache (Keras' rule; the variance is recovered from inv_std)."""
    check_cache("batchnorm_running_update", cache, BatchNormCache)
    mean, inv_std, eps = cache.mean, cache.inv_std, cache.spec.eps
    check_running_update("batchnorm_running_update", moving_mean, moving_var, mean, inv_std, momentum)
    _batchnorm_running_update(moving_mean, moving_var, mean, inv_std, float(momentum), 1.0 - momentum, float(eps))
