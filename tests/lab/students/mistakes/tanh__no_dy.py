# expect: dy not multiplied in
import numpy as np

def tanh_forward(x):
    return np.tanh(x)

def tanh_backward(dy, y):
    return 1.0 - y * y
