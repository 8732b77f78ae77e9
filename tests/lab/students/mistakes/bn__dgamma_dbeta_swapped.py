# expect: gradients in the wrong order


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dx = gamma * inv_std / N * (N * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
    dbeta = (dy * xhat).sum(axis=0)
    dgamma = dy.sum(axis=0)
    return dx, dgamma, dbeta
