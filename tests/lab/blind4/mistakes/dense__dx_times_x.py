# expect: an input multiplied in
# mistake: dx[n, d] += dy[n, m] * w[d, m] * x[n, d]: the input multiplied in as well (chain rule overdone)
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    for n in range(N):
        for d in range(D):
            for m in range(M):
                dx[n, d] += dy[n, m] * w[d, m] * x[n, d]
    return dx, x.T @ dy, dy.sum(axis=0)
