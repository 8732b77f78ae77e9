# expect: BatchNorm term with the wrong sign
# mistake: the variance term added, not subtracted: dy - mean(dy) + xhat mean(dy xhat)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean(axis=0) + xhat * (dy * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
