# expect: summed over the wrong axis
# mistake: db is summed over the outputs (axis=1) instead of over the batch (axis=0), so it has shape (N,) and holds per-sample totals.
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
    dw = x.T @ dy
    db = np.sum(dy, axis=1)
    return dx, dw, db
