# right: cs231n-style staged backprop through the computational graph (xmu, var, sqrtvar, ivar), rebuilding x - mean = xhat/inv_std and var from inv_std with the forward's eps
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
    xmu = xhat / inv_std          # x - mean
    sqrtvar = 1.0 / inv_std       # sqrt(var + eps)
    # forward graph: xmu -> sq = xmu**2 -> var = mean(sq) -> sqrtvar -> ivar = 1/sqrtvar
    #                xhat = xmu * ivar ; y = gamma * xhat + beta
    dbeta = np.sum(dy, axis=0)
    dgamma = np.sum(dy * xhat, axis=0)
    dxhat = dy * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * inv_std
    dsqrtvar = -divar / sqrtvar ** 2
    dvar = 0.5 * dsqrtvar / sqrtvar
    dsq = np.ones((N, F)) * dvar / N
    dxmu2 = 2.0 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones((N, F)) * dmu / N
    return dx1 + dx2, dgamma, dbeta
