# expect: sigmoid overflow
# mistake: forward exp(x) / (1 + exp(x)) everywhere: inf / inf = NaN at x = +1000
import numpy as np


def sigmoid_forward(x):
    e = np.exp(x)
    return e / (1.0 + e)


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
