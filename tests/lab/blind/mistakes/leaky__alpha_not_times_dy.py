# expect: dy not multiplied in
# mistake: negative side returns alpha itself, not alpha * dy
import numpy as np


def leaky_relu_backward(dy, x, alpha=0.2):
    return np.where(x > 0, dy, alpha)
