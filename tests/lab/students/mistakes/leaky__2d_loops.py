# expect: written for one number of dimensions
import numpy as np


def leaky_relu_backward(dy, x, alpha=0.2):
    N, M = x.shape
    dx = np.empty((N, M))
    for i in range(N):
        for j in range(M):
            dx[i, j] = dy[i, j] if x[i, j] > 0 else alpha * dy[i, j]
    return dx
