# expect: BatchNorm means over the wrong axis
# mistake: dy.mean() and (dy * xhat).mean() without axis: means over the whole array, not per feature


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean() - xhat * (dy * xhat).mean())
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
