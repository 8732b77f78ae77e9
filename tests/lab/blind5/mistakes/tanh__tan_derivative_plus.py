# expect: wrong derivative
# mistake: it uses 1 + y^2 (the derivative of tan, written in tan) instead of 1 - y^2, a sign slip in the misremembered formula.
import numpy as np


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    dx = np.empty_like(dy)
    dyf, yf, dxf = dy.reshape(-1), y.reshape(-1), dx.reshape(-1)
    for i in range(yf.size):
        dxf[i] = dyf[i] * (1.0 + yf[i] * yf[i])
    return dx
