# expect: BatchNorm variance term missing
# mistake: dx = gamma * inv_std * (dy - mean(dy)): the path through the variance missing


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
