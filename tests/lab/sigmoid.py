import numpy as np


def sigmoid_forward(x):
    y = np.empty_like(x)
    flat, out = x.ravel(), y.ravel()
    for i in range(flat.size):
        if flat[i] >= 0:  # exp of a non-positive number only
            out[i] = 1.0 / (1.0 + np.exp(-flat[i]))
        else:
            e = np.exp(flat[i])
            out[i] = e / (1.0 + e)
    return y


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
