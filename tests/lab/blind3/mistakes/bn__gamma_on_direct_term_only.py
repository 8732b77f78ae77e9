# expect: BatchNorm term scaled per feature
# mistake: gamma multiplies only the direct term: gamma inv_std dy - inv_std (mean(dy) + xhat mean(dy xhat))


def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * dy - inv_std * (dy.mean(axis=0) + xhat * (dy * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
