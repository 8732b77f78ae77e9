# expect: extra axes of size 1
# mistake: db = dy.sum(axis=0, keepdims=True), shaped (1, M) instead of (M,)


def dense_backward(dy, x, w):
    return dy @ w.T, x.T @ dy, dy.sum(axis=0, keepdims=True)
