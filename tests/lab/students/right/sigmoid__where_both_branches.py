import numpy as np

def sigmoid_forward(x):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
