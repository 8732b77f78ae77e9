# expect: BatchNorm term with a wrong factor


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[1]
    dx = gamma * inv_std / N * (N * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
