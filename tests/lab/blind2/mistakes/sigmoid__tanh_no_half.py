# expect: sigmoid's argument scaled
# mistake: forward (1 + tanh(x)) / 2: the x / 2 inside tanh forgotten
import numpy as np


def sigmoid_forward(x):
    return 0.5 * (1.0 + np.tanh(x))


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
