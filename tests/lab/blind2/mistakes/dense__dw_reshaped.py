# expect: reshaped where a transpose belongs
# mistake: dw = (dy.T @ x).reshape(w.shape): reshape used to "fix" the shape where a transpose belongs


def dense_backward(dy, x, w):
    return dy @ w.T, (dy.T @ x).reshape(w.shape), dy.sum(axis=0)
