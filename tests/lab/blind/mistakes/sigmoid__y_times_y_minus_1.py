# expect: wrong derivative
# mistake: y (y - 1) instead of y (1 - y): the derivative's sign flipped
import numpy as np


def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_backward(dy, y):
    return dy * y * (y - 1.0)
