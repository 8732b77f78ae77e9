# expect: slope on the wrong side
# mistake: slope alpha for x > 0 and 1 for x < 0 (the sides swapped)
import numpy as np


def leaky_relu_backward(dy, x, alpha=0.2):
    return np.where(x < 0, dy, alpha * dy)
