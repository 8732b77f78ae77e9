# expect: BatchNorm mean term missing
# mistake: dx = gamma * inv_std * (dy - xhat mean(dy xhat)): the path through the mean missing


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - xhat * (dy * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
