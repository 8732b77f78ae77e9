# expect: written for one number of dimensions
# mistake: Picks the safe formula with a Python `if x >= 0:` on the whole argument, which raises for arrays with more than one element (it only works for scalars).
import numpy as np  # noqa: F401  (yours to use)


def sigmoid_forward(x):
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    z = np.exp(x)
    return z / (1.0 + z)


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
