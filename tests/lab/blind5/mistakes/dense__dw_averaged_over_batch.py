# expect: mean where a sum belongs
# mistake: dw is divided by the batch size N, as if the layer averaged over the batch, while dx and db are left as sums.
import numpy as np


def dense_forward(x, w, b):
    N, D = x.shape
    M = w.shape[1]
    y = np.empty((N, M))
    for n in range(N):  # batch
        for m in range(M):  # outputs
            acc = b[m]
            for d in range(D):  # inputs
                acc += x[n, d] * w[d, m]
            y[n, m] = acc
    return y


def dense_backward(dy, x, w):
    N = x.shape[0]
    dx = dy @ w.T
    dw = x.T @ dy / N  # average the weight gradient over the batch
    db = dy.sum(axis=0)
    return dx, dw, db
