# expect: BatchNorm means over the wrong axis
# mistake: the variance term's mean taken per row (axis 1), the mean term's right (axis 0)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * xhat).mean(axis=1, keepdims=True))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
