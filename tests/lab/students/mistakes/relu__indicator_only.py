# expect: dy not multiplied in
import numpy as np


def relu_backward(dy, x):
    return np.where(x > 0, 1.0, 0.0)
