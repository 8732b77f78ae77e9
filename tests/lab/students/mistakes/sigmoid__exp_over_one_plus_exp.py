# expect: sigmoid overflow
import numpy as np

def sigmoid_forward(x):
    return np.exp(x) / (1.0 + np.exp(x))

def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
