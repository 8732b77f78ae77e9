# right: 1 - y^2 factored as (1 - y)(1 + y), computed with np.multiply into a fresh buffer
import numpy as np


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    out = np.empty_like(dy)
    np.multiply(1.0 - y, 1.0 + y, out=out)
    out *= dy
    return out
