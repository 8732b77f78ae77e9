# expect: relu's slope at 0
# mistake: the mask is x >= 0, so at exactly x == 0 the gradient passes dy through instead of the lab's convention of 0.
import numpy as np


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dy, x):
    return np.where(x >= 0, dy, 0.0)
