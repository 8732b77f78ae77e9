# expect: BatchNorm 1/N missing
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N, F = dy.shape
    dx = np.zeros((N, F))
    dgamma = np.zeros(F)
    dbeta = np.zeros(F)
    for f in range(F):
        s = 0.0
        sx = 0.0
        for n in range(N):
            s += dy[n, f]
            sx += dy[n, f] * xhat[n, f]
        dgamma[f] = sx
        dbeta[f] = s
        for n in range(N):
            dx[n, f] = gamma[f] * inv_std[f] * (dy[n, f] - s - xhat[n, f] * sx)
    return dx, dgamma, dbeta
