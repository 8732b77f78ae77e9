# right: sigmoid forward as exp(-softplus(-x)) with np.logaddexp(0, -x), overflow-free for both signs; backward dy * (y - y*y)
import numpy as np  # noqa: F401  (yours to use)


def sigmoid_forward(x):
    # sigmoid(x) = 1 / (1 + e^-x) = exp(-log(1 + e^-x)); logaddexp never overflows
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_backward(dy, y):
    return dy * (y - y * y)
