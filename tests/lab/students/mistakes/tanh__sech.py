# expect: x-formula applied to y
import numpy as np

def tanh_forward(x):
    return np.tanh(x)

def tanh_backward(dy, y):
    return dy / np.cosh(y) ** 2
