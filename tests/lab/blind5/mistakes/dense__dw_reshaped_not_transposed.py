# expect: reshaped where a transpose belongs
# mistake: dw is computed as dy.T @ x, shape (M, D), and then forced to (D, M) with reshape instead of a transpose, which scrambles the entries whenever D and M are both > 1.
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
    D, M = w.shape
    dx = np.dot(dy, w.T)
    dw = np.dot(dy.T, x).reshape(D, M)
    db = dy.sum(axis=0)
    return dx, dw, db
