# expect: input changed in place

def dense_backward(dy, x, w):
    dy /= 1.0  # make sure it is float
    dy *= 2.0
    dy /= 2.0
    dy += 0.0 * dy
    dx = dy @ w.T
    dw = x.T @ dy
    db = dy.sum(axis=0)
    dy[...] = 0.0  # free it
    return dx, dw, db
