# expect: BatchNorm 1/N missing
# mistake: in the staged (cs231n graph) backward, the gradient from the variance back to x is dvar * 2 * (x - mean) without the 1/N from var's mean, so the variance term is N times too big.
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
    N, F = dy.shape
    xmu = xhat / inv_std                       # x - mean
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmean = np.sum(-dxhat * inv_std, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat * inv_std + dvar * 2.0 * xmu + dmean / N
    return dx, dgamma, dbeta
