# expect: wrong slope
# mistake: dy / alpha on the negative side instead of alpha * dy
import numpy as np


def leaky_relu_backward(dy, x, alpha=0.2):
    return np.where(x > 0, dy, dy / alpha)
