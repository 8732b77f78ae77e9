# expect: gamma or inv_std wrong in dx
# mistake: dx divided by inv_std (std and inverse std confused)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dx = gamma / inv_std / N * (N * dy - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
