# right: a per-sample outer product accumulated over the batch
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.empty((N, D))
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for n in range(N):
        dx[n] = w @ dy[n]
        dw += np.outer(x[n], dy[n])
        db += dy[n]
    return dx, dw, db
