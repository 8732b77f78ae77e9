# right: sigmoid(x) = (1 + tanh(x / 2)) / 2, which never overflows
import numpy as np


def sigmoid_forward(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_backward(dy, y):
    return dy * (y - y * y)
