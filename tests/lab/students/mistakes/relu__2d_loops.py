# expect: written for one number of dimensions
import numpy as np


def relu_backward(dy, x):
    dx = np.zeros_like(dy)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > 0:
                dx[i, j] = dy[i, j]
    return dx
