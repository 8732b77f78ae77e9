# expect: the batch loop one short
# mistake: the batch loop runs range(N - 1) for dw and db: the last sample is left out of the sums
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = dy @ w.T
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for n in range(N - 1):
        for m in range(M):
            db[m] += dy[n, m]
            for d in range(D):
                dw[d, m] += x[n, d] * dy[n, m]
    return dx, dw, db
