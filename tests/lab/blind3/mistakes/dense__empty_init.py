# expect: np.empty where zeros belong
# mistake: dw started with np.empty, not np.zeros, then accumulated with +=
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dw = np.empty((D, M))
    for n in range(N):
        dw += np.outer(x[n], dy[n])
    return dy @ w.T, dw, dy.sum(axis=0)
