# expect: wrong slope
# mistake: dy * np.sign(x): -dy where x < 0 instead of 0
import numpy as np


def relu_backward(dy, x):
    return dy * np.sign(x)
