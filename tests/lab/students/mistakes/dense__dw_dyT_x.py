# expect: transposed

def dense_backward(dy, x, w):
    dx = dy @ w.T
    dw = dy.T @ x
    db = dy.sum(0)
    return dx, dw, db
