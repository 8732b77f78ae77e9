# expect: input changed in place
import numpy as np

def tanh_forward(x):
    return np.tanh(x)

def tanh_backward(dy, y):
    dy *= 1.0 - y * y
    return dy
