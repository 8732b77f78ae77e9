# right: leaky relu backward as dy * (alpha + (1 - alpha) * [x > 0]), blending the two slopes arithmetically
import numpy as np


def leaky_relu_forward(x, alpha=0.2):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_backward(dy, x, alpha=0.2):
    slope = alpha + (1.0 - alpha) * (x > 0)      # alpha where x <= 0, 1 where x > 0
    return (dy * slope).astype(dy.dtype, copy=False)
