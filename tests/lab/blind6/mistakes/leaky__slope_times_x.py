# expect: the forward, not its slope
# mistake: Uses alpha * x (the forward's value) as the slope on the negative side instead of alpha.
import numpy as np


def leaky_relu_forward(x, alpha=0.2):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_backward(dy, x, alpha=0.2):
    slope = np.where(x > 0, 1.0, alpha * x)
    return dy * slope
