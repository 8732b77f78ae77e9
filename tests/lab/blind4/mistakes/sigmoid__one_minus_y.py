# expect: wrong derivative
# mistake: backward dy * (1 - y): the factor y forgotten
import numpy as np


def sigmoid_forward(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_backward(dy, y):
    return dy * (1.0 - y)
