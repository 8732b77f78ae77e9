# expect: gamma or inv_std wrong in dx
# mistake: staged derivation with dxhat = dy (gamma left out of the gradient reaching xhat)
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    xmu = xhat / inv_std
    dxhat = dy
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dmu = -np.sum(dxhat, axis=0) * inv_std
    dx = dxhat * inv_std + dvar * 2.0 * xmu / N + dmu / N
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
