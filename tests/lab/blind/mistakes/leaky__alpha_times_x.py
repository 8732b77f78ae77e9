# expect: the forward, not its slope
# mistake: the negative side multiplies alpha by x instead of by dy
import numpy as np


def leaky_relu_backward(dy, x, alpha=0.2):
    dx = np.empty_like(dy)
    for i in range(dy.size):
        if x.flat[i] > 0:
            dx.flat[i] = dy.flat[i]
        else:
            dx.flat[i] = alpha * x.flat[i]
    return dx
