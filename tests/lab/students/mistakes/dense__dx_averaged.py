# expect: divided by the batch size
def dense_backward(dy, x, w):
    N = x.shape[0]
    return dy @ w.T / N, x.T @ dy, dy.sum(axis=0)
