# expect: sigmoid overflow
# mistake: loops with math.exp(-x): OverflowError at x = -1000
import math

import numpy as np


def sigmoid_forward(x):
    y = np.empty_like(x)
    for i in range(x.size):
        y.flat[i] = 1.0 / (1.0 + math.exp(-x.flat[i]))
    return y


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
