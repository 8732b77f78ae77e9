# expect: wrong derivative
import numpy as np

def tanh_forward(x):
    return np.tanh(x)

def tanh_backward(dy, y):
    return dy * (1 - y) ** 2
