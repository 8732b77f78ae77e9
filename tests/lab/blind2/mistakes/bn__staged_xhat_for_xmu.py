# expect: BatchNorm term scaled per feature
# mistake: staged derivation with xhat used where x - mean belongs (in dvar and in dx's variance term)
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xhat, axis=0) * -0.5 * inv_std ** 3
    dmu = -np.sum(dxhat, axis=0) * inv_std
    dx = dxhat * inv_std + dvar * 2.0 * xhat / N + dmu / N
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
