# expect: scaled per feature
# mistake: dgamma = sum(dy (x - mean)) inv_std, with x - mean taken as xhat: an extra inv_std


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dx = gamma * inv_std / N * (N * dy - dbeta - xhat * dgamma)
    return dx, dgamma * inv_std, dbeta
