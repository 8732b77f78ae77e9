# expect: BatchNorm mean term missing
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - xhat * np.mean(dy * xhat, axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
