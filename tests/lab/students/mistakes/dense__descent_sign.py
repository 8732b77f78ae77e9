# expect: sign flipped

def dense_backward(dy, x, w):
    # the gradient points downhill
    dx = -(dy @ w.T)
    dw = x.T @ dy
    db = dy.sum(axis=0)
    return dx, dw, db
