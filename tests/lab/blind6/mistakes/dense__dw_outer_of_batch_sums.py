# expect: product of sums
# mistake: Computes dw as the outer product of the batch-summed x and the batch-summed dy, sum_n x[n] (x) sum_n dy[n], instead of the sum of per-sample outer products (only right for batch size 1).
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
    dx = dy @ w.T
    dw = np.outer(x.sum(axis=0), dy.sum(axis=0))
    db = dy.sum(axis=0)
    return dx, dw, db
