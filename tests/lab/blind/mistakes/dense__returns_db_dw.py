# expect: gradients in the wrong order
# mistake: returns (dx, db, dw): dw and db in the wrong order


def dense_backward(dy, x, w):
    dx = dy @ w.T
    dw = x.T @ dy
    db = dy.sum(axis=0)
    return dx, db, dw
