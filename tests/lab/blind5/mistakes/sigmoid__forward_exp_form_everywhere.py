# expect: sigmoid overflow
# mistake: the forward uses exp(x) / (1 + exp(x)) for every x, which overflows to inf/inf = nan for large positive x (e.g. x = 1000); the backward is right.
import numpy as np


def sigmoid_forward(x):
    e = np.exp(x)
    return e / (1.0 + e)


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
