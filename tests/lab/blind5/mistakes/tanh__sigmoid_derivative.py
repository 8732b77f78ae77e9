# expect: wrong derivative
# mistake: it uses the sigmoid's derivative form y * (1 - y) instead of tanh's 1 - y^2.
import numpy as np


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    return dy * y * (1.0 - y)
