# expect: BatchNorm means over the wrong axis
# mistake: loops that take the means over the features of a row (axis 1) instead of over the batch
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N, F = dy.shape
    dx = np.empty((N, F))
    dgamma = np.zeros(F)
    dbeta = np.zeros(F)
    for f in range(F):
        for n in range(N):
            dgamma[f] += dy[n, f] * xhat[n, f]
            dbeta[f] += dy[n, f]
    for n in range(N):
        a = 0.0
        b = 0.0
        for f in range(F):
            a += dy[n, f]
            b += dy[n, f] * xhat[n, f]
        a /= F
        b /= F
        for f in range(F):
            dx[n, f] = gamma[f] * inv_std[f] * (dy[n, f] - a - xhat[n, f] * b)
    return dx, dgamma, dbeta
