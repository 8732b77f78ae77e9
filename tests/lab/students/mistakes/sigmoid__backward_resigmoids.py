# expect: x-formula applied to y
import numpy as np

def sigmoid_forward(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out

def sigmoid_backward(dy, y):
    s = sigmoid_forward(y)
    return dy * s * (1.0 - s)
