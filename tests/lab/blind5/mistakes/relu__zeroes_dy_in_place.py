# expect: input changed in place
# mistake: it zeroes the masked entries of the caller's dy in place and returns dy itself, so the returned values are right but the input gradient array is mutated (and aliased to dx).
import numpy as np


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dy, x):
    dy[x <= 0] = 0.0
    return dy
