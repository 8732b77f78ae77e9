# expect: sigmoid overflow
# mistake: Uses exp(x) / (1 + exp(x)) for x >= 0 and 1 / (1 + exp(-x)) for x < 0, the wrong way round, so large positive x (e.g. +1000) gives nan.
import numpy as np  # noqa: F401  (yours to use)


def sigmoid_forward(x):
    x = np.asarray(x, dtype=float)
    y = np.empty_like(x)
    pos = x >= 0
    ex = np.exp(x[pos])
    y[pos] = ex / (1.0 + ex)
    y[~pos] = 1.0 / (1.0 + np.exp(-x[~pos]))
    return y


def sigmoid_backward(dy, y):
    return dy * y * (1.0 - y)
