"""Batch normalisation over the batch axis of (N, F) activations (training mode).

Forward, per feature f, over the N samples of the batch:
    mu = mean_n x[n, f]      var = mean_n (x[n, f] - mu)^2          (biased, as Keras/PyTorch)
    xhat[n, f] = (x[n, f] - mu) / sqrt(var + eps)
    y[n, f] = gamma[f] * xhat[n, f] + beta[f]
Backward, given dy (N, F); every x[., f] enters every y[., f] through mu and var:
    dbeta[f]  = sum_n dy[n, f]
    dgamma[f] = sum_n dy[n, f] * xhat[n, f]
    dxhat     = dy * gamma
    dx[n, f]  = inv_std / N * (N * dxhat[n, f] - sum_m dxhat[m, f] - xhat[n, f] * sum_m dxhat[m, f] * xhat[m, f])
(the two sums are the paths through mu and through var; with them the per-feature
gradient is orthogonal to the constant and to xhat, as normalising demands).

An activation (relu, leaky_relu) after the layer can come in the same pass, as after a
GEMM (kernels/cpu/epilogue.py): y = act(gamma * xhat + beta), and the backward applies the
formulas above to dpre = dy * act'(.), read off y, inside both of its passes.

At inference the layer uses running averages of mu and var instead (minigan/layers.py).
The forward returns (y, mean, inv_std, xhat): the backward needs xhat and inv_std, and
the layer needs the batch mean and variance (var = 1/inv_std^2 - eps) for its running
averages; returning them avoids a second pass.

Data parallelism (a batch split over processes) needs the statistics of the whole batch:
the forward and backward take ``reduce``, a callable that returns a small per-feature array
summed over every shard of the batch, as a new array (an MPI allreduce; minigan/distributed.py). Each pass is
then split where the sums are: partial sums over the rows here, reduce, then the rest.
Without ``reduce`` the same code runs with the rows here as the whole batch.
"""

import numpy as np
from numba import njit

from kernels.checks import (
    check_activation_output,
    check_batch_count,
    check_batchnorm,
    check_batchnorm_backward,
    check_running_update,
)
from kernels.cpu.epilogue import activate, activation_code, through_activation
from kernels.cpu.memory import buffer


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


def batchnorm_forward(x, gamma, beta, eps=1e-3, reduce=None, activation=None, alpha=0.2, out=None):
    """x (N, F), gamma, beta (F,) -> y (N, F), batch mean (F,), inv_std (F,), xhat (N, F).

    eps defaults to Keras' 1e-3. With reduce, x is this process's shard of the batch and
    the statistics are the whole batch's: reduce sums the partial sums over the shards.
    activation: None, 'relu' or 'leaky_relu' (slope alpha), applied to y in the same pass.
    out: a Workspace (kernels/workspace.py) for the results and the sums, or None."""
    act = activation_code("batchnorm_forward", activation, alpha)
    check_batchnorm("batchnorm_forward", x, gamma, beta, reduce)
    x = np.ascontiguousarray(x)
    N, F = x.shape
    sums = buffer(out, "batchnorm.sums", (F + 1,), x.dtype)
    _feature_sums(x, sums)
    sums = _whole_batch(reduce, sums)
    check_batch_count("batchnorm_forward", sums[-1])
    squares = buffer(out, "batchnorm.squares", (F,), x.dtype)
    _centred_square_sums(x, sums, squares)
    squares = _whole_batch(reduce, squares)
    y, xhat = buffer(out, "batchnorm.y", x.shape, x.dtype), buffer(out, "batchnorm.xhat", x.shape, x.dtype)
    mean, inv_std = buffer(out, "batchnorm.mean", (F,), x.dtype), buffer(out, "batchnorm.inv_std", (F,), x.dtype)
    _normalise(x, gamma, beta, sums, squares, float(eps), act, float(alpha), y, mean, inv_std, xhat)
    return y, mean, inv_std, xhat


def batchnorm_backward(dy, xhat, gamma, inv_std, reduce=None, y=None, activation=None, alpha=0.2, out=None):
    """dy, xhat (N, F), gamma, inv_std (F,) -> dx (N, F), dgamma (F,), dbeta (F,).

    With reduce (as in the forward), dx takes the whole batch's sums, and dgamma, dbeta
    are this shard's part of theirs (summed with the other gradients later). With an
    activation, y is the forward's output, its slope read off it. out as in batchnorm_forward."""
    act = activation_code("batchnorm_backward", activation, alpha)
    check_batchnorm_backward("batchnorm_backward", dy, xhat, gamma, inv_std, reduce)
    dy = np.ascontiguousarray(dy)
    y = dy if check_activation_output("batchnorm_backward", activation, y, dy) is None else np.ascontiguousarray(y)
    F = dy.shape[1]
    local = buffer(out, "batchnorm.gradient_sums", (2 * F + 1,), dy.dtype)
    _gradient_sums(dy, y, act, float(alpha), xhat, local)
    dx = buffer(out, "batchnorm.dx", dy.shape, dy.dtype)
    _input_grad(dy, y, act, float(alpha), xhat, gamma, inv_std, _whole_batch(reduce, local), dx)
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


def batchnorm_inference(x, gamma, beta, mean, var, eps=1e-3, activation=None, alpha=0.2):
    """Inference mode: y = act(gamma * (x - mean) / sqrt(var + eps) + beta) with running statistics."""
    act = activation_code("batchnorm_inference", activation, alpha)
    check_batchnorm("batchnorm_inference", x, gamma, beta, mean=mean, var=var)
    return _batchnorm_inference(np.ascontiguousarray(x), gamma, beta, mean, var, float(eps), act, float(alpha))


@njit(cache=True)
def _batchnorm_running_update(moving_mean, moving_var, mean, inv_std, momentum, one_minus_momentum, eps):
    t = mean.dtype.type
    m, keep, e = t(momentum), t(one_minus_momentum), t(eps)
    for f in range(mean.size):  # (F,)
        var = t(1) / (inv_std[f] * inv_std[f]) - e  # the batch variance, recovered from inv_std
        moving_mean[f] = m * moving_mean[f] + keep * mean[f]
        moving_var[f] = m * moving_var[f] + keep * var


def batchnorm_running_update(moving_mean, moving_var, mean, inv_std, momentum, eps=1e-3):
    """In place: moving = momentum * moving + (1 - momentum) * batch statistic (Keras' rule)."""
    check_running_update("batchnorm_running_update", moving_mean, moving_var, mean, inv_std, momentum)
    _batchnorm_running_update(moving_mean, moving_var, mean, inv_std, float(momentum), 1.0 - momentum, float(eps))
