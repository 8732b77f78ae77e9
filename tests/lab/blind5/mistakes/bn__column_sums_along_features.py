# expect: BatchNorm means over the wrong axis
# mistake: the two sums inside dx are taken with axis=1, keepdims=True (across features, per row) instead of over the batch (axis=0), which broadcasts silently to (N, F) and gives wrong values.
import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-3):
    N, F = x.shape
    mean = np.zeros(F)
    inv_std = np.zeros(F)
    xhat = np.empty((N, F))
    y = np.empty((N, F))
    for f in range(F):  # features
        m = 0.0
        for n in range(N):  # batch
            m += x[n, f]
        m /= N
        var = 0.0
        for n in range(N):
            var += (x[n, f] - m) ** 2
        var /= N
        mean[f], inv_std[f] = m, 1.0 / np.sqrt(var + eps)
        for n in range(N):
            xhat[n, f] = (x[n, f] - m) * inv_std[f]
            y[n, f] = gamma[f] * xhat[n, f] + beta[f]
    return y, mean, inv_std, xhat


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dxhat = dy * gamma
    sum_dxhat = dxhat.sum(axis=1, keepdims=True)
    sum_dxhat_xhat = (dxhat * xhat).sum(axis=1, keepdims=True)
    dx = inv_std * (dxhat - sum_dxhat / N - xhat * sum_dxhat_xhat / N)
    return dx, dgamma, dbeta
