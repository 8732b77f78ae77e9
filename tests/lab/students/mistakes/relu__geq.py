# expect: relu's slope at 0
import numpy as np

def relu_forward(x):
    return np.maximum(x, 0.0)

def relu_backward(dy, x):
    return dy * (x >= 0)
