# expect: gamma or inv_std wrong in dx
# mistake: gamma left out of dx (the gradient reaching xhat is gamma dy)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dx = inv_std / N * (N * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
