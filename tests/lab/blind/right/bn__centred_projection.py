# right: dxhat centred, then its component along xhat removed (the two paths as projections)


def batchnorm_backward(dy, xhat, gamma, inv_std):
    g = dy * gamma
    gc = g - g.mean(axis=0)
    dx = inv_std * (gc - xhat * (g * xhat).mean(axis=0))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)
