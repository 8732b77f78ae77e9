# right: dy times max(sign(x), 0), which is 0 at x = 0
import numpy as np


def relu_backward(dy, x):
    return dy * np.maximum(np.sign(x), 0.0)
