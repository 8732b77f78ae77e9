# expect: a sum not reset
# mistake: loops whose per-feature sums are set to 0 once, before the loop over features: they accumulate across features
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N, F = dy.shape
    dx = np.empty((N, F))
    dgamma = np.empty(F)
    dbeta = np.empty(F)
    sum_dy = 0.0
    sum_dy_xhat = 0.0
    for f in range(F):
        for n in range(N):
            sum_dy += dy[n, f]
            sum_dy_xhat += dy[n, f] * xhat[n, f]
        dbeta[f] = sum_dy
        dgamma[f] = sum_dy_xhat
        for n in range(N):
            dx[n, f] = gamma[f] * inv_std[f] / N * (N * dy[n, f] - sum_dy - xhat[n, f] * sum_dy_xhat)
    return dx, dgamma, dbeta
