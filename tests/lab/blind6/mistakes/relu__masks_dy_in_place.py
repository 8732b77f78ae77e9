# expect: input changed in place
# mistake: Zeroes dy[x <= 0] in place and returns dy itself, overwriting the caller's upstream gradient (the values returned are right).
import numpy as np


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dy, x):
    dy[x <= 0] = 0.0
    return dy
