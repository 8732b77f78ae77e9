# expect: unnamed
import numpy as np

def tanh_forward(x):
    return np.tanh(x)

def tanh_backward(dy, y):
    return dy * y * y
