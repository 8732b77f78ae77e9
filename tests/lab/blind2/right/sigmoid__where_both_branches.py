# right: np.where over both forms (each computed everywhere, the safe one chosen)
import numpy as np


def sigmoid_forward(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))


def sigmoid_backward(dy, y):
    return y * (1.0 - y) * dy
