# expect: input changed in place
import numpy as np

def relu_forward(x):
    return np.maximum(x, 0.0)

def relu_backward(dy, x):
    dy[x <= 0] = 0.0
    return dy
