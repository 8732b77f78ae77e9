# expect: a loop over the wrong size
# mistake: dw[d, m] += x[n, d] * dy[n, d]: dy indexed by d (typo for m)
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dw = np.zeros((D, M))
    for n in range(N):
        for d in range(D):
            for m in range(M):
                dw[d, m] += x[n, d] * dy[n, d]
    return dy @ w.T, dw, dy.sum(axis=0)
