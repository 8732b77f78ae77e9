# right: all three gradients as np.einsum contractions with explicit index strings
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
    # y[n,m] = b[m] + sum_d x[n,d] w[d,m]
    dx = np.einsum('nm,dm->nd', dy, w)
    dw = np.einsum('nd,nm->dm', x, dy)
    db = np.einsum('nm->m', dy)
    return dx, dw, db
