# expect: dy not multiplied in
# mistake: on the x <= 0 side it returns alpha itself instead of alpha * dy (the slope is not multiplied by the incoming gradient).
import numpy as np


def leaky_relu_forward(x, alpha=0.2):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_backward(dy, x, alpha=0.2):
    return np.where(x > 0, dy, alpha)
