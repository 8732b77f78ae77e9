# expect: scaled by a known factor
import numpy as np

def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx, dw, db = np.zeros((N, D)), np.zeros((D, M)), np.zeros(M)
    for n in range(N):
        for m in range(M):
            for d in range(D):
                dx[n, d] += dy[n, m] * w[d, m]
                dw[d, m] += x[n, d] * dy[n, m]
                db[m] += dy[n, m]
    return dx, dw, db
