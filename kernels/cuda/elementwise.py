"""Elementwise CUDA kernels: activations, dropout, optimizer updates. One thread per element,
the same formulas as kernels/cpu (see those docstrings for the math)."""

import math

import numpy as np

from numba import cuda

from kernels.checks import check_decay, check_in_place, check_same_shape, check_step, require_float
from kernels.cuda.launch import device_empty, flat, grid_1d


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


@cuda.jit
def _masked_scale(a, mask, scale, out):
    i = cuda.grid(1)
    if i < a.size:
        out[i] = a[i] * mask[i] * a.dtype.type(scale)


def _map(kernel, out_like, *arrays_and_scalars):
    out = device_empty(out_like.shape, out_like.dtype)
    args = [flat(a) if hasattr(a, "shape") else a for a in arrays_and_scalars]
    blocks, threads = grid_1d(out_like.size)
    kernel[blocks, threads](*args, flat(out))
    return out


def relu_forward(x):
    require_float("relu_forward", "x", x)
    return _map(_relu_forward, x, x)


def relu_backward(dy, x):
    check_same_shape("relu_backward", dy=dy, x=x)
    return _map(_relu_backward, dy, dy, x)


def leaky_relu_forward(x, alpha=0.2):
    require_float("leaky_relu_forward", "x", x)
    return _map(_leaky_relu_forward, x, x, float(alpha))


def leaky_relu_backward(dy, x, alpha=0.2):
    check_same_shape("leaky_relu_backward", dy=dy, x=x)
    return _map(_leaky_relu_backward, dy, dy, x, float(alpha))


def tanh_forward(x):
    require_float("tanh_forward", "x", x)
    return _map(_tanh_forward, x, x)


def tanh_backward(dy, y):
    check_same_shape("tanh_backward", dy=dy, y=y)
    return _map(_tanh_backward, dy, dy, y)


def sigmoid_forward(x):
    require_float("sigmoid_forward", "x", x)
    return _map(_sigmoid_forward, x, x)


def sigmoid_backward(dy, y):
    check_same_shape("sigmoid_backward", dy=dy, y=y)
    return _map(_sigmoid_backward, dy, dy, y)


def _dropout(op, a, mask, rate):
    check_same_shape(op, x=a, mask=mask)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"{op}: rate must be in [0, 1), got {rate}")
    return _map(_masked_scale, a, a, mask, 1.0 / (1.0 - rate))


def dropout_forward(x, mask, rate):
    return _dropout("dropout_forward", x, mask, rate)


def dropout_backward(dy, mask, rate):
    return _dropout("dropout_backward", dy, mask, rate)


@cuda.jit
def _adam_update(p, g, m, v, step_size, bias2_sqrt, beta1, beta2, one_minus_beta1, one_minus_beta2, eps,
                 smallest_normal):
    i = cuda.grid(1)
    if i < p.size:
        t = p.dtype.type
        mi = t(beta1) * m[i] + t(one_minus_beta1) * g[i]
        vi = t(beta2) * v[i] + t(one_minus_beta2) * g[i] * g[i]
        # subnormals flushed as on the CPU (kernels/cpu/optim.py), so both backends agree
        m[i] = t(0) if abs(mi) < t(smallest_normal) else mi
        v[i] = t(0) if vi < t(smallest_normal) else vi
        p[i] -= t(step_size) * (m[i] / (math.sqrt(v[i]) / t(bias2_sqrt) + t(eps)))


@cuda.jit
def _sgd_momentum_update(p, g, u, lr, momentum):
    i = cuda.grid(1)
    if i < p.size:
        u[i] = p.dtype.type(momentum) * u[i] + g[i]
        p[i] -= p.dtype.type(lr) * u[i]


@cuda.jit
def _ema_update(shadow, p, decay, one_minus_decay):
    i = cuda.grid(1)
    if i < shadow.size:
        t = shadow.dtype.type
        shadow[i] = t(decay) * shadow[i] + t(one_minus_decay) * p[i]


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step in place on device arrays (formula: kernels/cpu/optim.py)."""
    check_step("adam_update", step)
    check_in_place("adam_update", param=param, grad=grad, m=m, v=v)
    blocks, threads = grid_1d(param.size)
    _adam_update[blocks, threads](flat(param), flat(grad), flat(m), flat(v), lr / (1.0 - beta1**step),
                                  math.sqrt(1.0 - beta2**step), beta1, beta2, 1.0 - beta1, 1.0 - beta2, eps,
                                  float(np.finfo(param.dtype).tiny))


def sgd_momentum_update(param, grad, velocity, lr=1e-2, momentum=0.9):
    check_in_place("sgd_momentum_update", param=param, grad=grad, velocity=velocity)
    blocks, threads = grid_1d(param.size)
    _sgd_momentum_update[blocks, threads](flat(param), flat(grad), flat(velocity), lr, momentum)


def ema_update(shadow, param, decay):
    """shadow = decay * shadow + (1 - decay) * param, in place on device arrays (kernels/cpu/optim.py)."""
    check_decay("ema_update", decay)
    check_in_place("ema_update", shadow=shadow, param=param)
    blocks, threads = grid_1d(shadow.size)
    _ema_update[blocks, threads](flat(shadow), flat(param), decay, 1.0 - decay)


def activation_forward(y, activation, alpha):
    """A layer's fused activation (kernels/cpu/epilogue.py), here as a separate pass: y -> act(y).
    activation: a name from kernels.checks.check_activation."""
    if activation == "relu":
        return relu_forward(y)
    return leaky_relu_forward(y, alpha) if activation == "leaky_relu" else y


def activation_backward(dy, y, activation, alpha):
    """dpre = dy * act'(.), read off the forward's output y (y > 0 exactly where the input was)."""
    if activation == "relu":
        return relu_backward(dy, y)
    return leaky_relu_backward(dy, y, alpha) if activation == "leaky_relu" else dy
