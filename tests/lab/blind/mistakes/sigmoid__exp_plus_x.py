# expect: sigmoid mirrored
# mistake: forward 1 / (1 + exp(x)): the exponent's sign lost (sigmoid mirrored)
import numpy as np


def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    return np.where(x <= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
