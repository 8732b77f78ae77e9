import numpy as np


def dense_forward(x, w, b):
    return x @ w + b


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for n in range(N):  # batch
        for m in range(M):  # outputs
            g = dy[n, m]
            db[m] += g
            for d in range(D):  # inputs
                dx[n, d] += g * w[d, m]
                dw[d, m] += g * x[n, d]
    return dx, dw, db
