import numpy as np

def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    g = dy - dy.mean(axis=0, keepdims=True)
    g = g - xhat * (g * xhat).sum(axis=0, keepdims=True) / N
    return g * gamma * inv_std, np.einsum("nf,nf->f", dy, xhat), dy.sum(axis=0)
