# right: the mask is np.heaviside(x, 0.0), whose value at x == 0 is the given 0
import numpy as np


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dy, x):
    return dy * np.heaviside(x, 0.0)
