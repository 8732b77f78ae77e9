# expect: BatchNorm 1/N missing
def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dgamma = (dy * xhat).sum(0)
    dbeta = dy.sum(0)
    dx = gamma * inv_std * (dy - dbeta / N - xhat * dgamma)
    return dx, dgamma, dbeta
