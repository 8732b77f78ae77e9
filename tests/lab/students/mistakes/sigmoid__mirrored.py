# expect: sigmoid mirrored
import numpy as np

def sigmoid_forward(x):
    z = np.clip(x, -500, 500)
    return 1.0 / (1.0 + np.exp(z))

def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
