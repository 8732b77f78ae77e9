# expect: sigmoid mirrored
# mistake: forward exp(-logaddexp(0, x)): the sign inside logaddexp wrong
import numpy as np


def sigmoid_forward(x):
    return np.exp(-np.logaddexp(0.0, x))


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
