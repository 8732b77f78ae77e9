# expect: mean where a sum belongs
import numpy as np


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dx = gamma * inv_std / N * (N * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
    return dx, np.mean(dy * xhat, axis=0), dy.sum(axis=0)
