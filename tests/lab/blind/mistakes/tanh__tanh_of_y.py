# expect: x-formula applied to y
# mistake: 1 - tanh(y)^2 with y already tanh(x): the x-formula applied to y
import numpy as np


def tanh_backward(dy, y):
    return dy * (1.0 - np.tanh(y) ** 2)
