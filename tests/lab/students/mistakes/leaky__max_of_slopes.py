# expect: masked by dy, not x
import numpy as np

def leaky_relu_backward(dy, x, alpha=0.2):
    return np.maximum(dy, alpha * dy)
