"""Elementwise activations as plain loops: forward y = f(x), backward dx = dy * f'(x).

    relu        y = max(x, 0)                 dx = dy * [x > 0]
    leaky_relu  y = x if x > 0 else a*x       dx = dy * (1 if x > 0 else a)
    tanh        y = tanh(x)                   dx = dy * (1 - y^2)        (from y, as saved)
    sigmoid     y = 1 / (1 + e^-x)            dx = dy * y * (1 - y)      (from y, as saved)

relu and leaky_relu's backward take the forward's input x; tanh and sigmoid's take its output
y, since their derivative is cheapest written in y. Any shape: the loops walk the flat array.
These are the lab's signatures: a student's file takes their place in the readable engine.

NaN in, NaN out: ``0 if x <= 0 else x`` lets a NaN through. Constants are made in the
array's dtype (``x.dtype.type(1)``): a bare ``1.0`` would promote float32 arithmetic to float64.
"""

import numpy as np
from numba import njit

from kernels.sigmoid import stable_sigmoid


@njit(cache=True)
def relu_forward(x):
    y, zero = np.empty_like(x), x.dtype.type(0)
    xf, yf = x.reshape(-1), y.reshape(-1)  # flat views: any shape
    for i in range(xf.size):  # (size,)
        yf[i] = zero if xf[i] <= zero else xf[i]
    return y


@njit(cache=True)
def relu_backward(dy, x):
    dx, zero = np.empty_like(dy), x.dtype.type(0)
    dyf, xf, dxf = dy.reshape(-1), x.reshape(-1), dx.reshape(-1)
    for i in range(xf.size):  # (size,): slope 1 where the forward passed x through, else 0
        dxf[i] = dyf[i] if xf[i] > zero else zero
    return dx


@njit(cache=True)
def leaky_relu_forward(x, alpha=0.2):
    y, a, zero = np.empty_like(x), x.dtype.type(alpha), x.dtype.type(0)
    xf, yf = x.reshape(-1), y.reshape(-1)
    for i in range(xf.size):  # (size,)
        yf[i] = a * xf[i] if xf[i] <= zero else xf[i]
    return y


@njit(cache=True)
def leaky_relu_backward(dy, x, alpha=0.2):
    dx, a, zero = np.empty_like(dy), x.dtype.type(alpha), x.dtype.type(0)
    dyf, xf, dxf = dy.reshape(-1), x.reshape(-1), dx.reshape(-1)
    for i in range(xf.size):  # (size,): slope 1 where x > 0, else a
        dxf[i] = dyf[i] if xf[i] > zero else a * dyf[i]
    return dx


@njit(cache=True)
def tanh_forward(x):
    y = np.empty_like(x)
    xf, yf = x.reshape(-1), y.reshape(-1)
    for i in range(xf.size):  # (size,)
        yf[i] = np.tanh(xf[i])
    return y


@njit(cache=True)
def tanh_backward(dy, y):
    dx, one = np.empty_like(dy), y.dtype.type(1)
    dyf, yf, dxf = dy.reshape(-1), y.reshape(-1), dx.reshape(-1)
    for i in range(yf.size):  # (size,): d tanh(x)/dx = 1 - tanh(x)^2
        dxf[i] = dyf[i] * (one - yf[i] * yf[i])
    return dx


@njit(cache=True)
def sigmoid_forward(x):
    y = np.empty_like(x)
    xf, yf = x.reshape(-1), y.reshape(-1)
    for i in range(xf.size):  # (size,)
        yf[i] = stable_sigmoid(xf[i])
    return y


@njit(cache=True)
def sigmoid_backward(dy, y):
    dx, one = np.empty_like(dy), y.dtype.type(1)
    dyf, yf, dxf = dy.reshape(-1), y.reshape(-1), dx.reshape(-1)
    for i in range(yf.size):  # (size,): d sigma(x)/dx = sigma(x) (1 - sigma(x))
        dxf[i] = dyf[i] * yf[i] * (one - yf[i])
    return dx
