# expect: relu's slope at 0
import numpy as np

def relu_backward(dy, x):
    return dy * np.greater_equal(x, 0)
