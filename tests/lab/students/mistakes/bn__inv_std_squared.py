# expect: gamma or inv_std wrong in dx


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std ** 2 * (dy - dy.mean(axis=0) - xhat * (dy * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
