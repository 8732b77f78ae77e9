# expect: one branch wrong
# mistake: the slope as np.clip(x, 0, 1), the derivative of a clipped relu
import numpy as np


def relu_backward(dy, x):
    return dy * np.clip(x, 0.0, 1.0)
