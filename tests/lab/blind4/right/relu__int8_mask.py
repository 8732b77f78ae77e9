# right: an int8 mask
import numpy as np


def relu_backward(dy, x):
    return dy * (x > 0).astype(np.int8)
