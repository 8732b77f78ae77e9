"""Activations on the GPU, one thread per element: the formulas of kernels/cpu/activations.py
(the math and the overflow traps are explained there)."""

import math

from numba import cuda

from kernels.checks import check_same_shape, require_float
from kernels.cuda.launch import elementwise
from kernels.cuda.memory import buffer


@cuda.jit(device=True)
def stable_sigmoid(v):
    one = type(v)(1)
    if v < 0:  # exp of a non-positive number only: no overflow
        e = math.exp(v)
        return e / (one + e)
    return one / (one + math.exp(-v))


@cuda.jit
def _relu_forward(x, y):
    i = cuda.grid(1)
    if i < x.size:
        zero = x.dtype.type(0)
        y[i] = zero if x[i] <= zero else x[i]  # NaN fails x <= 0 and passes through


@cuda.jit
def _relu_backward(dy, x, dx):
    i = cuda.grid(1)
    if i < x.size:
        dx[i] = dy[i] if x[i] > x.dtype.type(0) else x.dtype.type(0)


@cuda.jit
def _leaky_relu_forward(x, alpha, y):
    i = cuda.grid(1)
    if i < x.size:
        a = x.dtype.type(alpha)
        y[i] = a * x[i] if x[i] <= x.dtype.type(0) else x[i]


@cuda.jit
def _leaky_relu_backward(dy, x, alpha, dx):
    i = cuda.grid(1)
    if i < x.size:
        dx[i] = dy[i] if x[i] > x.dtype.type(0) else x.dtype.type(alpha) * dy[i]


@cuda.jit
def _tanh_forward(x, y):
    i = cuda.grid(1)
    if i < x.size:
        y[i] = math.tanh(x[i])


@cuda.jit
def _tanh_backward(dy, y, dx):
    i = cuda.grid(1)
    if i < y.size:
        dx[i] = dy[i] * (y.dtype.type(1) - y[i] * y[i])


@cuda.jit
def _sigmoid_forward(x, y):
    i = cuda.grid(1)
    if i < x.size:
        y[i] = stable_sigmoid(x[i])


@cuda.jit
def _sigmoid_backward(dy, y, dx):
    i = cuda.grid(1)
    if i < y.size:
        dx[i] = dy[i] * y[i] * (y.dtype.type(1) - y[i])


def relu_forward(x, out=None):
    require_float("relu_forward", "x", x)
    return elementwise(_relu_forward, buffer(out, "relu_forward", x.shape, x.dtype), x)


def relu_backward(dy, x, out=None):
    check_same_shape("relu_backward", dy=dy, x=x)
    return elementwise(_relu_backward, buffer(out, "relu_backward", dy.shape, dy.dtype), dy, x)


def leaky_relu_forward(x, alpha=0.2, out=None):
    require_float("leaky_relu_forward", "x", x)
    return elementwise(_leaky_relu_forward, buffer(out, "leaky_relu_forward", x.shape, x.dtype), x, float(alpha))


def leaky_relu_backward(dy, x, alpha=0.2, out=None):
    check_same_shape("leaky_relu_backward", dy=dy, x=x)
    return elementwise(_leaky_relu_backward, buffer(out, "leaky_relu_backward", dy.shape, dy.dtype), dy, x, float(alpha))


def tanh_forward(x, out=None):
    require_float("tanh_forward", "x", x)
    return elementwise(_tanh_forward, buffer(out, "tanh_forward", x.shape, x.dtype), x)


def tanh_backward(dy, y, out=None):
    check_same_shape("tanh_backward", dy=dy, y=y)
    return elementwise(_tanh_backward, buffer(out, "tanh_backward", dy.shape, dy.dtype), dy, y)


def sigmoid_forward(x, out=None):
    require_float("sigmoid_forward", "x", x)
    return elementwise(_sigmoid_forward, buffer(out, "sigmoid_forward", x.shape, x.dtype), x)


def sigmoid_backward(dy, y, out=None):
    check_same_shape("sigmoid_backward", dy=dy, y=y)
    return elementwise(_sigmoid_backward, buffer(out, "sigmoid_backward", dy.shape, dy.dtype), dy, y)
