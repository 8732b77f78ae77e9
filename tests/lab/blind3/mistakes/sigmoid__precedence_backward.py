# expect: wrong formula
# mistake: dy * y * 1 - y: the parentheses around (1 - y) lost
import numpy as np


def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dy, y):
    return dy * y * 1 - y
