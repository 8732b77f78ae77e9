# expect: = where += belongs
# mistake: dw written with = instead of += inside the batch loop: only the last sample counts
import numpy as np


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
                dx[n, d] += dy[n, m] * w[d, m]
                dw[d, m] = x[n, d] * dy[n, m]
    return dx, dw, db
