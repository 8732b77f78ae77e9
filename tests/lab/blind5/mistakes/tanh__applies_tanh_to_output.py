# expect: x-formula applied to y
# mistake: it treats the argument y as the forward's input and recomputes tanh(y), using 1 - tanh(y)^2 instead of 1 - y^2.
import numpy as np


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    t = np.tanh(y)
    return dy * (1 - t ** 2)
