# expect: x clipped
# mistake: x clipped to [-10, 10] "to avoid overflow": sigmoid(1000) comes out 0.99995
import numpy as np


def sigmoid_forward(x):
    x = np.clip(x, -10.0, 10.0)
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
