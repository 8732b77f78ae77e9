# expect: gamma or inv_std wrong in dx
import numpy as np

def batchnorm_forward(x, gamma, beta, eps=1e-3):
    mean = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=0) + eps)
    xhat = (x - mean) * inv_std
    return gamma * xhat + beta, mean, inv_std, xhat

def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dx = inv_std / N * (N * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
