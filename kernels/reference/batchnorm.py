"""Batch normalisation over the batch axis of (N, F) activations (training mode), as plain loops.

Forward, per feature f, over the N samples of the batch:
    mu = mean_n x[n, f]      var = mean_n (x[n, f] - mu)^2          (biased, as Keras/PyTorch)
    xhat[n, f] = (x[n, f] - mu) / sqrt(var + eps)
    y[n, f] = gamma[f] * xhat[n, f] + beta[f]
Backward, given dy (N, F); every x[., f] enters every y[., f] through mu and var:
    dbeta[f]  = sum_n dy[n, f]
    dgamma[f] = sum_n dy[n, f] * xhat[n, f]
    dxhat     = dy * gamma
    dx[n, f]  = inv_std / N * (N * dxhat[n, f] - sum_m dxhat[m, f] - xhat[n, f] * sum_m dxhat[m, f] * xhat[m, f])
(the two sums are the paths through mu and through var; docs/batchnorm.md derives them).

The forward returns (y, mean, inv_std, xhat): the backward needs xhat and inv_std, and the
layer needs the batch mean and variance (var = 1/inv_std^2 - eps) for its running averages.
These are the lab's signatures: a student's file takes their place in the readable engine.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def batchnorm_forward(x, gamma, beta, eps=1e-3):
    N, F = x.shape
    t = x.dtype.type
    mean, inv_std = np.zeros(F, dtype=x.dtype), np.zeros(F, dtype=x.dtype)
    xhat, y = np.empty_like(x), np.empty_like(x)
    for f in range(F):  # features: (F,)
        total = t(0)
        for n in range(N):  # the batch mean
            total += x[n, f]
        mean[f] = total / t(N)
        squares = t(0)
        for n in range(N):  # the variance about it (a second pass: no cancellation)
            d = x[n, f] - mean[f]
            squares += d * d
        inv_std[f] = t(1) / np.sqrt(squares / t(N) + t(eps))
        for n in range(N):  # normalise, scale and shift: (N,)
            xhat[n, f] = (x[n, f] - mean[f]) * inv_std[f]
            y[n, f] = gamma[f] * xhat[n, f] + beta[f]
    return y, mean, inv_std, xhat


@njit(cache=True)
def batchnorm_backward(dy, xhat, gamma, inv_std):
    # forward was y = gamma * xhat + beta, xhat = (x - mean_n x) * inv_std
    N, F = dy.shape
    t = dy.dtype.type
    dx = np.empty_like(dy)
    dgamma, dbeta = np.zeros(F, dtype=dy.dtype), np.zeros(F, dtype=dy.dtype)
    for f in range(F):  # features: (F,)
        for n in range(N):  # y is linear in gamma and beta
            dbeta[f] += dy[n, f]
            dgamma[f] += dy[n, f] * xhat[n, f]
        # sum_m dxhat[m, f] = gamma * dbeta; sum_m dxhat[m, f] * xhat[m, f] = gamma * dgamma
        for n in range(N):  # (N,)
            dxhat = dy[n, f] * gamma[f]
            dx[n, f] = inv_std[f] / t(N) * (t(N) * dxhat - gamma[f] * dbeta[f] - xhat[n, f] * gamma[f] * dgamma[f])
    return dx, dgamma, dbeta


@njit(cache=True)
def batchnorm_inference(x, gamma, beta, mean, var, eps=1e-3):
    # with fixed statistics the layer is one affine map per feature
    N, F = x.shape
    y = np.empty_like(x)
    for n in range(N):  # (N, F)
        for f in range(F):
            y[n, f] = gamma[f] * (x[n, f] - mean[f]) / np.sqrt(var[f] + x.dtype.type(eps)) + beta[f]
    return y
