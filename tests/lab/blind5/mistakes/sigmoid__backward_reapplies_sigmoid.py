# expect: x-formula applied to y
# mistake: the backward treats its argument y as the pre-activation and applies the sigmoid to it again, using s(y)(1 - s(y)) instead of y(1 - y).
import numpy as np


def sigmoid_forward(x):
    out = np.empty_like(x, dtype=np.float64)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def sigmoid_backward(dy, y):
    s = sigmoid_forward(y)
    return dy * s * (1.0 - s)
