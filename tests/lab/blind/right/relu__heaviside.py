# right: np.heaviside with 0 at 0
import numpy as np


def relu_backward(dy, x):
    return dy * np.heaviside(x, 0.0)
