# expect: scaled per feature
# mistake: Accumulates dgamma from dxhat * xhat (that is dy * gamma * xhat) instead of dy * xhat, so dgamma carries an extra factor of gamma.
"""minigan lab: BatchNorm's backward (training mode), the hardest of the set.

Forward (given), per feature f over the batch of N rows (docs/batchnorm.md derives it):
    mean[f]    = (1/N) sum_n x[n, f]
    var[f]     = (1/N) sum_n (x[n, f] - mean[f])^2          (biased, as Keras)
    inv_std[f] = 1 / sqrt(var[f] + eps)
    xhat[n, f] = (x[n, f] - mean[f]) * inv_std[f]
    y[n, f]    = gamma[f] * xhat[n, f] + beta[f]
It returns (y, mean, inv_std, xhat); a layer keeps xhat and inv_std for the backward.

Write batchnorm_backward(dy, xhat, gamma, inv_std) -> (dx, dgamma, dbeta), shaped like
x (N, F), gamma (F,), beta (F,).

Hints (no answers):
- dgamma and dbeta first: y is linear in both.
- x[n, f] reaches the loss three ways: directly through xhat[n, f], and through mean[f]
  and var[f], which every row of that feature shares. So dx[n, f] has a term of its own
  and terms that are the same for the whole column.
- Check your 1/N factors against the definitions of mean and var.

Check your work with
    python -m minigan lab check batchnorm THIS_FILE
"""

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
        sum_dxhat = 0.0
        sum_dxhat_xhat = 0.0
        for n in range(N):
            dxhat = dy[n, f] * gamma[f]
            dbeta[f] += dy[n, f]
            dgamma[f] += dxhat * xhat[n, f]
            sum_dxhat += dxhat
            sum_dxhat_xhat += dxhat * xhat[n, f]
        for n in range(N):
            dx[n, f] = inv_std[f] / N * (N * dy[n, f] * gamma[f] - sum_dxhat - xhat[n, f] * sum_dxhat_xhat)
    return dx, dgamma, dbeta
