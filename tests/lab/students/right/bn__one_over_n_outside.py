
def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (xhat * dy).sum(axis=0)
    dx = (1.0 / N) * gamma * inv_std * (N * dy - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
