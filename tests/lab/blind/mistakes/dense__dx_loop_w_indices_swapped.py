# expect: a loop over the wrong size
# mistake: loops read w[m, d] for w[d, m] in dx (the weight's indices swapped)
import numpy as np


def dense_backward(dy, x, w):
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros((N, D))
    for n in range(N):
        for d in range(D):
            for m in range(M):
                dx[n, d] += dy[n, m] * w[m, d]
    return dx, x.T @ dy, dy.sum(axis=0)
