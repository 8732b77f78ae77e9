# expect: BatchNorm with N - 1
# mistake: the staged derivation with the unbiased 2 / (N - 1) for dvar/dx
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    xmu = xhat / inv_std
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = np.sum(-dxhat * inv_std, axis=0)
    dx = dxhat * inv_std + dvar * 2.0 * xmu / (N - 1) + dmu / N
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
