# expect: x-formula applied to y
# mistake: backward takes sigmoid(y)(1 - sigmoid(y)): the x-formula applied to y
import numpy as np


def sigmoid_forward(x):
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))


def sigmoid_backward(dy, y):
    s = 1.0 / (1.0 + np.exp(-y))
    return dy * s * (1.0 - s)
