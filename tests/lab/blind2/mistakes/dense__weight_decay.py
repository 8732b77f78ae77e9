# expect: an extra term
# mistake: dw = x.T @ dy + w: a weight decay term added that the loss does not have


def dense_backward(dy, x, w):
    return dy @ w.T, x.T @ dy + w, dy.sum(axis=0)
