# expect: sigmoid of |x|
# mistake: in the overflow-safe forward the x < 0 branch computes 1 / (1 + exp(x)), which is sigmoid(-x), instead of exp(x) / (1 + exp(x)).
import numpy as np


def sigmoid_forward(x):
    y = np.zeros_like(x, dtype=float)
    pos = x >= 0
    neg = ~pos
    y[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    y[neg] = 1.0 / (1.0 + np.exp(x[neg]))
    return y


def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
