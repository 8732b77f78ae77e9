# expect: input changed in place


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dy -= dy.mean(axis=0)
    dx = gamma * inv_std * (dy - xhat * dgamma / dy.shape[0])
    return dx, dgamma, dbeta
