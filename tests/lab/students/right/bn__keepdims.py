import numpy as np

def batchnorm_backward(dy, xhat, gamma, inv_std):
    mean_dy = np.mean(dy, axis=0, keepdims=True)
    mean_dy_xhat = np.mean(dy * xhat, axis=0, keepdims=True)
    dx = (gamma * inv_std)[None, :] * (dy - mean_dy - xhat * mean_dy_xhat)
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)
