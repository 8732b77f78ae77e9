# right: forward as exp(-log(1 + e^-x)) through np.logaddexp(0, -x), which never overflows; backward y(1-y)
import numpy as np


def sigmoid_forward(x):
    # log(1 + exp(-x)) = logaddexp(0, -x), finite for every finite x
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
