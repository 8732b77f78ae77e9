# expect: x-formula applied to y
# mistake: sech^2 taken of y: 1 / cosh(y)^2 (the x-formula applied to the output)
import numpy as np


def tanh_backward(dy, y):
    return dy / np.cosh(y) ** 2
