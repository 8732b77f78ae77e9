# expect: wrong derivative
# mistake: Factors 1 - y^2 as (1 - y) * (1 - y) instead of (1 - y) * (1 + y).
import numpy as np


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    return dy * (1.0 - y) * (1.0 - y)
