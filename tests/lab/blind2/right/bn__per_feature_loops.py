# right: per-feature loops, the two sums first, as the docs' formula
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N, F = dy.shape
    dx = np.empty((N, F))
    dgamma = np.zeros(F)
    dbeta = np.zeros(F)
    for f in range(F):
        for n in range(N):
            dbeta[f] += dy[n, f]
            dgamma[f] += dy[n, f] * xhat[n, f]
        k = gamma[f] * inv_std[f] / N
        for n in range(N):
            dx[n, f] = k * (N * dy[n, f] - dbeta[f] - xhat[n, f] * dgamma[f])
    return dx, dgamma, dbeta
