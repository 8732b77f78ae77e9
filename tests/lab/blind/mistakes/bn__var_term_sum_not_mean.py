# expect: BatchNorm 1/N missing
# mistake: the variance term's 1/N forgotten (sum where the mean term has a mean)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
