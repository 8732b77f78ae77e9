# expect: mean where a sum belongs
# mistake: Averages the bias gradient over the batch (dy.mean(axis=0)) instead of summing it, while dw is (correctly) summed.
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
    dx = np.dot(dy, w.T)
    dw = np.dot(x.T, dy)
    db = np.mean(dy, axis=0)
    return dx, dw, db
