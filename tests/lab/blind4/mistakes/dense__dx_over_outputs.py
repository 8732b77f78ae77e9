# expect: scaled by a known factor
# mistake: dx divided by M, the number of outputs ("each input's gradient averaged over the outputs")


def dense_backward(dy, x, w):
    return dy @ w.T / w.shape[1], x.T @ dy, dy.sum(axis=0)
