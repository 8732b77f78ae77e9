# expect: x-formula applied to y
import numpy as np


def tanh_backward(dy, y):
    return dy / np.cosh(y) ** 2
