# expect: BatchNorm term with a wrong factor
# mistake: N read as dy.shape[1] (the number of features) for the 1/N


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[1]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dx = gamma * inv_std * (dy - dbeta / N - xhat * dgamma / N)
    return dx, dgamma, dbeta
