# expect: BatchNorm term scaled per feature
def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = (gamma * inv_std * dy - gamma * inv_std * dy.mean(0)
          - gamma * inv_std ** 3 * xhat * (dy * xhat).mean(0))
    return dx, (dy * xhat).sum(0), dy.sum(0)
