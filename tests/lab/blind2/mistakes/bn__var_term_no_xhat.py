# expect: BatchNorm term with xhat misplaced
# mistake: the variance term without its xhat factor: dy - mean(dy) - mean(dy xhat)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean(axis=0) - (dy * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
