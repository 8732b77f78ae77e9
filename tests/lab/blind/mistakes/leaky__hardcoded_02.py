# expect: hard-coded slope
# mistake: slope 0.2 written as a number, the alpha argument ignored
import numpy as np


def leaky_relu_backward(dy, x, alpha=0.2):
    return np.where(x > 0, dy, 0.2 * dy)
