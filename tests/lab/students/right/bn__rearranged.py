def batchnorm_backward(dy, xhat, gamma, inv_std):
    k = gamma * inv_std
    dx = k * (dy - dy.mean(0)) - k * xhat * (dy * xhat).mean(0)
    return dx, (dy * xhat).sum(0), dy.sum(0)
