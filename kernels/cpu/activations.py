"""Elementwise activations: forward y = f(x), backward dx = dy * f'(x).

Any shape; the kernels walk the flat buffer. Each is a single plain loop, already as
fast as the memory traffic allows, so there is no separate fast variant.

    relu        y = max(x, 0)                 dx = dy * [x > 0]
    leaky_relu  y = x if x > 0 else a*x       dx = dy * (1 if x > 0 else a)
    tanh        y = tanh(x)                   dx = dy * (1 - y^2)        (from y, as saved)
    sigmoid     y = 1 / (1 + e^-x)            dx = dy * y * (1 - y)      (from y, as saved)

relu/leaky_relu backward take the forward's input x; tanh/sigmoid backward take its
output y, since their derivative is cheapest written in y.

NaN in, NaN out: comparisons are written so that a NaN input fails them and passes
through (``0 if x <= 0 else x``), and no fastmath flag lets LLVM assume NaNs away.
Constants are made in the array's dtype (``x.dtype.type(1)``): a bare ``1.0`` would
promote float32 arithmetic to float64.

The loops are ``prange``: on large arrays they run threaded (kernels/cpu/parallel.py), on
small ones serially. Every element is independent, so results do not depend on it.
"""

import numpy as np
from numba import njit, prange

from kernels.checks import check_same_shape, require_float
from kernels.cpu.parallel import by_size


@by_size
def _relu_forward(x):
    y = np.empty_like(x)
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        y[i] = zero if x[i] <= zero else x[i]
    return y


@by_size
def _relu_backward(dy, x):
    dx = np.empty_like(dy)
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        dx[i] = dy[i] if x[i] > zero else zero  # slope 1 where the forward passed x through
    return dx


@by_size
def _leaky_relu_forward(x, alpha):
    y = np.empty_like(x)
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        y[i] = a * x[i] if x[i] <= zero else x[i]
    return y


@by_size
def _leaky_relu_backward(dy, x, alpha):
    dx = np.empty_like(dy)
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        dx[i] = dy[i] if x[i] > zero else a * dy[i]
    return dx


@by_size
def _tanh_forward(x):
    y = np.empty_like(x)
    for i in prange(x.size):  # flat (size,)
        y[i] = np.tanh(x[i])
    return y


@by_size
def _tanh_backward(dy, y):
    dx = np.empty_like(dy)
    one = y.dtype.type(1)
    for i in prange(y.size):  # flat (size,); d tanh(x)/dx = 1 - tanh(x)^2
        dx[i] = dy[i] * (one - y[i] * y[i])
    return dx


@njit(cache=True)
def stable_sigmoid(v):
    """Scalar sigmoid that never overflows: exp of a non-positive number only."""
    one = type(v)(1)
    if v < 0:  # e^v, not e^-v, so that a large negative v cannot overflow
        e = np.exp(v)
        return e / (one + e)
    return one / (one + np.exp(-v))


@by_size
def _sigmoid_forward(x):
    y = np.empty_like(x)
    for i in prange(x.size):  # flat (size,)
        y[i] = stable_sigmoid(x[i])
    return y


@by_size
def _sigmoid_backward(dy, y):
    dx = np.empty_like(dy)
    one = y.dtype.type(1)
    for i in prange(y.size):  # flat (size,); d sigma(x)/dx = sigma(x) (1 - sigma(x))
        dx[i] = dy[i] * y[i] * (one - y[i])
    return dx


def _flat(a):
    return np.ascontiguousarray(a).reshape(-1)


def _unary(op, kernel, x, *args):
    require_float(op, "x", x)
    return kernel(_flat(x), *args).reshape(x.shape)


def _binary(op, kernel, dy, saved_name, saved, *args):
    check_same_shape(op, dy=dy, **{saved_name: saved})
    return kernel(_flat(dy), _flat(saved), *args).reshape(dy.shape)


def relu_forward(x):
    """y = max(x, 0), any shape."""
    return _unary("relu_forward", _relu_forward, x)


def relu_backward(dy, x):
    """dx = dy * [x > 0]; x is the forward's input."""
    return _binary("relu_backward", _relu_backward, dy, "x", x)


def leaky_relu_forward(x, alpha=0.2):
    """y = x if x > 0 else alpha * x, any shape."""
    return _unary("leaky_relu_forward", _leaky_relu_forward, x, float(alpha))


def leaky_relu_backward(dy, x, alpha=0.2):
    """dx = dy * (1 if x > 0 else alpha); x is the forward's input."""
    return _binary("leaky_relu_backward", _leaky_relu_backward, dy, "x", x, float(alpha))


def tanh_forward(x):
    """y = tanh(x), any shape."""
    return _unary("tanh_forward", _tanh_forward, x)


def tanh_backward(dy, y):
    """dx = dy * (1 - y^2); y is the forward's output."""
    return _binary("tanh_backward", _tanh_backward, dy, "y", y)


def sigmoid_forward(x):
    """y = 1 / (1 + exp(-x)), evaluated without overflow for either sign of x."""
    return _unary("sigmoid_forward", _sigmoid_forward, x)


def sigmoid_backward(dy, y):
    """dx = dy * y * (1 - y); y is the forward's output."""
    return _binary("sigmoid_backward", _sigmoid_backward, dy, "y", y)
