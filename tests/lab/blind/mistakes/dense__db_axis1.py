# expect: summed over the wrong axis
# mistake: db summed over the outputs (axis=1) instead of over the batch


def dense_backward(dy, x, w):
    dx = dy @ w.T
    dw = x.T @ dy
    db = dy.sum(axis=1)
    return dx, dw, db
