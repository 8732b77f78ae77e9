# expect: = where += belongs
# mistake: in the loop version dx[n, d] is assigned (=) inside the loop over outputs m instead of accumulated (+=), so only the last output's contribution dy[n, M-1] * w[d, M-1] survives.
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
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for n in range(N):
        for m in range(M):
            db[m] += dy[n, m]
            for d in range(D):
                dw[d, m] += x[n, d] * dy[n, m]
                dx[n, d] = dy[n, m] * w[d, m]
    return dx, dw, db
