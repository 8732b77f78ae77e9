# expect: BatchNorm term with the wrong sign
# mistake: staged derivation with dmu = +sum(dxhat) inv_std (its minus sign lost)
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    xmu = xhat / inv_std
    dxhat = dy * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = np.sum(dxhat, axis=0) * inv_std
    dx = dxhat * inv_std + dvar * 2.0 * xmu / N + dmu / N
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
