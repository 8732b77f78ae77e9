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

At inference the layer uses running averages of mu and var instead (minigan/layers.py).
The forward returns (y, mean, inv_std, xhat): the backward needs xhat and inv_std, and
the layer needs the batch mean and variance (var = 1/inv_std^2 - eps) for its running
averages; returning them avoids a second pass.
"""

import numpy as np
from numba import njit

from kernels.checks import check_same_shape, require_ndim, require_same_dtype, require_shape


@njit(cache=True)
def _batchnorm_forward(x, gamma, beta, eps):
    N, F = x.shape
    e = x.dtype.type(eps)
    one = x.dtype.type(1)
    inv_n = one / x.dtype.type(N)
    mean = np.zeros(F, dtype=x.dtype)
    var = np.zeros(F, dtype=x.dtype)
    for n in range(N):  # mean over the batch: (F,)
        for f in range(F):
            mean[f] += x[n, f]
    mean *= inv_n
    for n in range(N):  # variance about that mean (two passes: no cancellation): (F,)
        for f in range(F):
            d = x[n, f] - mean[f]
            var[f] += d * d
    inv_std = np.empty(F, dtype=x.dtype)
    for f in range(F):
        inv_std[f] = one / np.sqrt(var[f] * inv_n + e)
    xhat = np.empty_like(x)
    y = np.empty_like(x)
    for n in range(N):  # normalise, scale and shift: (N, F)
        for f in range(F):
            xhat[n, f] = (x[n, f] - mean[f]) * inv_std[f]
            y[n, f] = gamma[f] * xhat[n, f] + beta[f]
    return y, mean, inv_std, xhat


@njit(cache=True)
def _batchnorm_backward(dy, xhat, gamma, inv_std):
    # forward was y = gamma * xhat + beta, xhat = (x - mean_batch(x)) * inv_std
    N, F = dy.shape
    dgamma = np.zeros(F, dtype=dy.dtype)
    dbeta = np.zeros(F, dtype=dy.dtype)
    for n in range(N):  # (F,) sums over the batch
        for f in range(F):
            dbeta[f] += dy[n, f]
            dgamma[f] += dy[n, f] * xhat[n, f]
    # sum_m dxhat[m, f] = gamma * dbeta;  sum_m dxhat[m, f] * xhat[m, f] = gamma * dgamma
    n_ = dy.dtype.type(N)
    dx = np.empty_like(dy)
    for n in range(N):  # (N, F)
        for f in range(F):
            dxhat = dy[n, f] * gamma[f]
            dx[n, f] = inv_std[f] / n_ * (n_ * dxhat - gamma[f] * dbeta[f] - xhat[n, f] * gamma[f] * dgamma[f])
    return dx, dgamma, dbeta


def batchnorm_forward(x, gamma, beta, eps=1e-3):
    """x (N, F), gamma, beta (F,) -> y (N, F), batch mean (F,), inv_std (F,), xhat (N, F).

    eps defaults to Keras' 1e-3."""
    require_same_dtype("batchnorm_forward", x=x, gamma=gamma, beta=beta)
    check_same_shape("batchnorm_forward", gamma=gamma, beta=beta)
    require_ndim("batchnorm_forward", "x", x, 2, "(N, F)")
    require_shape("batchnorm_forward", "gamma", gamma, (x.shape[1],), f"one scale per feature, x.shape={tuple(x.shape)}")
    if x.shape[0] < 2:
        raise ValueError(f"batchnorm_forward: x has batch size {x.shape[0]}; batch statistics need at least 2 samples")
    return _batchnorm_forward(np.ascontiguousarray(x), gamma, beta, float(eps))


def batchnorm_backward(dy, xhat, gamma, inv_std):
    """dy, xhat (N, F), gamma, inv_std (F,) -> dx (N, F), dgamma (F,), dbeta (F,)."""
    check_same_shape("batchnorm_backward", dy=dy, xhat=xhat)
    check_same_shape("batchnorm_backward", gamma=gamma, inv_std=inv_std)
    return _batchnorm_backward(np.ascontiguousarray(dy), xhat, gamma, inv_std)


@njit(cache=True)
def _batchnorm_inference(x, gamma, beta, mean, var, eps):
    N, F = x.shape
    e = x.dtype.type(eps)
    one = x.dtype.type(1)
    y = np.empty_like(x)
    for f in range(F):  # with fixed statistics the layer is one affine map per feature
        scale = gamma[f] * (one / np.sqrt(var[f] + e))
        shift = beta[f] - mean[f] * scale
        for n in range(N):
            y[n, f] = x[n, f] * scale + shift
    return y


def batchnorm_inference(x, gamma, beta, mean, var, eps=1e-3):
    """Inference mode: y = gamma * (x - mean) / sqrt(var + eps) + beta with running statistics."""
    require_same_dtype("batchnorm_inference", x=x, gamma=gamma, beta=beta, mean=mean, var=var)
    require_ndim("batchnorm_inference", "x", x, 2, "(N, F)")
    check_same_shape("batchnorm_inference", gamma=gamma, beta=beta, mean=mean, var=var)
    require_shape("batchnorm_inference", "gamma", gamma, (x.shape[1],), f"one scale per feature, x.shape={tuple(x.shape)}")
    return _batchnorm_inference(np.ascontiguousarray(x), gamma, beta, mean, var, float(eps))


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
    check_same_shape("batchnorm_running_update", moving_mean=moving_mean, moving_var=moving_var,
                     mean=mean, inv_std=inv_std)
    _batchnorm_running_update(moving_mean, moving_var, mean, inv_std, float(momentum), 1.0 - momentum, float(eps))
