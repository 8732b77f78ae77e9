# expect: wrong formula
import numpy as np

def sigmoid_forward(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))

def sigmoid_backward(dy, y):
    return dy * y - y ** 2
