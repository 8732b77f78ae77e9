# expect: = where += belongs
import numpy as np

def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    db = np.zeros(M)
    for n in range(N):
        dw = np.zeros((D, M))
        for d in range(D):
            for m in range(M):
                dw[d, m] += x[n, d] * dy[n, m]
                dx[n, d] += dy[n, m] * w[d, m]
        db += dy[n]
    return dx, dw, db
