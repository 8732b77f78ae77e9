# expect: masked where it should not be
# mistake: dx masked by x > 0, as if the layer's relu were part of dense's backward


def dense_backward(dy, x, w):
    return (dy @ w.T) * (x > 0), x.T @ dy, dy.sum(axis=0)
