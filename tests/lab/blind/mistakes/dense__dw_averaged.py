# expect: mean where a sum belongs
# mistake: dw averaged over the batch (divided by N), thinking the batch is a mean


def dense_backward(dy, x, w):
    N = x.shape[0]
    dx = dy @ w.T
    dw = x.T @ dy / N
    db = dy.sum(axis=0)
    return dx, dw, db
