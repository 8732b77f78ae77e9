# expect: scaled by a known factor
# mistake: db[m] += dy[n, m] sits inside the loop over d: db comes out D times too large
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    dw = np.zeros((D, M))
    db = np.zeros(M)
    for n in range(N):
        for m in range(M):
            for d in range(D):
                dx[n, d] += dy[n, m] * w[d, m]
                dw[d, m] += x[n, d] * dy[n, m]
                db[m] += dy[n, m]
    return dx, dw, db
