# expect: BatchNorm term scaled per feature
# mistake: In a step-by-step (computational-graph) backward, rebuilds the centred input x - mean as xhat * inv_std instead of xhat / inv_std.
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
    N = dy.shape[0]
    dbeta = np.sum(dy, axis=0)
    dgamma = np.sum(dy * xhat, axis=0)
    xmu = xhat * inv_std                      # x - mean
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = np.sum(-dxhat * inv_std, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat * inv_std + dvar * 2.0 * xmu / N + dmu / N
    return dx, dgamma, dbeta
