# expect: x-formula applied to y
import numpy as np

def tanh_backward(dy, y):
    return dy * (1 - np.square(np.tanh(y)))
