# expect: mean where a sum belongs
# mistake: db is the batch mean of dy, not its sum


def dense_backward(dy, x, w):
    return dy @ w.T, x.T @ dy, dy.mean(axis=0)
