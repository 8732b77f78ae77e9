# expect: sigmoid overflow
import math
import numpy as np

def sigmoid_forward(x):
    y = np.empty_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[i, j] = 1.0 / (1.0 + math.exp(-x[i, j]))
    return y

def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
