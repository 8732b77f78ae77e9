# expect: BatchNorm with N - 1

def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dx = gamma * inv_std / (N - 1) * (N * dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
