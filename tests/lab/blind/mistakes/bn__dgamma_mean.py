# expect: mean where a sum belongs
# mistake: dgamma = mean(dy xhat) over the batch, not the sum


def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * xhat).sum(axis=0)
    dx = gamma * inv_std / N * (N * dy - dbeta - xhat * dgamma)
    return dx, dgamma / N, dbeta
