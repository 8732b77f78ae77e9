# expect: summed over the wrong axis
# mistake: every entry of db is set to the sum of all of dy (over batch and outputs together) rather than the per-output column sum.
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
    M = w.shape[1]
    dx = dy @ w.T
    dw = x.T @ dy
    db = np.ones(M) * np.sum(dy)  # the bias is added to every output
    return dx, dw, db
