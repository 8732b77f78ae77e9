# right: the staged (cs231n) derivation, with x - mean rebuilt from xhat / inv_std
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    xmu = xhat / inv_std
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = np.sum(-dxhat * inv_std, axis=0) + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat * inv_std + dvar * 2.0 * xmu / N + dmu / N
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
