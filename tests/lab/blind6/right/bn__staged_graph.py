# right: batchnorm backward as an explicit staged computational graph (xmu, ivar, sqrtvar, var, mu), rebuilding x - mean as xhat / inv_std
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
    xmu = xhat / inv_std                      # x - mean
    dxhat = dy * gamma                        # y = gamma * xhat + beta
    divar = np.sum(dxhat * xmu, axis=0)       # xhat = xmu * ivar
    dxmu1 = dxhat * inv_std
    dsqrtvar = -divar * inv_std ** 2          # ivar = 1 / sqrtvar
    dvar = 0.5 * inv_std * dsqrtvar           # sqrtvar = sqrt(var + eps)
    dsq = np.ones_like(dy) * dvar / N         # var = mean(sq)
    dxmu2 = 2.0 * xmu * dsq                   # sq = xmu ** 2
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)                # xmu = x - mu
    dx2 = np.ones_like(dy) * dmu / N          # mu = mean(x)
    return dx1 + dx2, dgamma, dbeta
