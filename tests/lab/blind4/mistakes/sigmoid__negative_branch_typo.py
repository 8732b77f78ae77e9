# expect: one branch wrong
# mistake: the branch for x < 0 written exp(x) / (1 + exp(-x)) (the sign in the denominator)
import numpy as np


def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + 1.0 / e))


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
