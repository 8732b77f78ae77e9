# expect: BatchNorm mean and variance terms missing
# mistake: dx = gamma * inv_std * dy: mean and variance treated as constants


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * dy
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
