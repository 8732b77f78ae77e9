import numpy as np

def relu_backward(dy, x):
    return dy * np.ceil(np.clip(x, 0.0, 1.0))
