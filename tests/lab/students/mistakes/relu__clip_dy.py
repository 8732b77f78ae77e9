# expect: masked by dy, not x
import numpy as np


def relu_backward(dy, x):
    return np.clip(dy, 0, None)
