# expect: x clipped
import numpy as np

def sigmoid_forward(x):
    x = np.clip(x, -10.0, 10.0)  # keep exp small
    return 1.0 / (1.0 + np.exp(-x))

def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
