# expect: gradients in the wrong order
# mistake: dgamma = sum(dy) and dbeta = sum(dy xhat): the parameter gradients swapped


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dgamma = dy.sum(axis=0)
    dbeta = (dy * xhat).sum(axis=0)
    dx = gamma * inv_std / N * (N * dy - dgamma - xhat * dbeta)
    return dx, dgamma, dbeta
