# expect: BatchNorm variance term missing
# mistake: dx leaves out the term through the batch variance (the - xhat * sum_m dxhat[m, f] xhat[m, f] term), keeping the direct and mean terms only.
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
    dx = np.empty((N, F))
    dgamma = np.zeros(F)
    dbeta = np.zeros(F)
    for f in range(F):
        s = 0.0
        for n in range(N):
            dbeta[f] += dy[n, f]
            dgamma[f] += dy[n, f] * xhat[n, f]
            s += dy[n, f] * gamma[f]
        for n in range(N):
            dx[n, f] = inv_std[f] / N * (N * dy[n, f] * gamma[f] - s)
    return dx, dgamma, dbeta
