"""Elementwise activations: forward y = f(x), backward dx = dy * f'(x).

Any shape; the kernels walk the flat buffer. Each is a single plain loop, already as
fast as the memory traffic allows, so there is no separate fast variant, except float32
tanh: libm's tanhf is a scalar call that LLVM cannot vectorize, so
float32 uses a rational approximation that it can (``_tanh_forward_rational``; docs/speed.md
has the figures); float64, and the reference, keep np.tanh.

    relu        y = max(x, 0)                 dx = dy * [x > 0]
    leaky_relu  y = x if x > 0 else a*x       dx = dy * (1 if x > 0 else a)
    tanh        y = tanh(x)                   dx = dy * (1 - y^2)        (from y, as saved)
    sigmoid     y = 1 / (1 + e^-x)            dx = dy * y * (1 - y)      (from y, as saved)

relu/leaky_relu backward take the forward's input x; tanh/sigmoid backward take its
output y, since their derivative is cheapest written in y. Every public function takes
out=None, or a Workspace (kernels/workspace.py) to write its result into, named after the
function ("tanh_forward").

NaN in, NaN out: comparisons are written so that a NaN input fails them and passes
through (``0 if x <= 0 else x``), and no fastmath flag lets LLVM assume NaNs away.
Constants are made in the array's dtype (``x.dtype.type(1)``): a bare ``1.0`` would
promote float32 arithmetic to float64.

The loops are ``prange``: on large arrays they run threaded (kernels/cpu/parallel.py), on
small ones serially. Every element is independent, so results do not depend on it.
"""

import numpy as np
from numba import prange

from kernels.checks import check_same_shape, require_float
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size
from kernels.sigmoid import stable_sigmoid


@by_size
def _relu_forward(x, y):
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        y[i] = zero if x[i] <= zero else x[i]


@by_size
def _relu_backward(dy, x, dx):
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        dx[i] = dy[i] if x[i] > zero else zero  # slope 1 where the forward passed x through


@by_size
def _leaky_relu_forward(x, alpha, y):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        y[i] = a * x[i] if x[i] <= zero else x[i]


@by_size
def _leaky_relu_backward(dy, x, alpha, dx):
    a = x.dtype.type(alpha)
    zero = x.dtype.type(0)
    for i in prange(x.size):  # flat (size,)
        dx[i] = dy[i] if x[i] > zero else a * dy[i]


@by_size
def _tanh_forward(x, y):
    for i in prange(x.size):  # flat (size,)
        y[i] = np.tanh(x[i])


# Eigen's float32 tanh (generic_fast_tanh_float, also TensorFlow's and XLA's): tanh(x) ~ x P(x^2) / Q(x^2)
# on [-7.905, 7.905], where the float32 tanh is 1 within rounding; x itself below |x| = 4e-4.
# Measured against float64 tanh over 4.2 M points: at most 5.7 ulp (3.4e-7), libm's tanhf 1.4 ulp.
TANH_P = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
          -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16)  # x^1, x^3, ..., x^13
TANH_Q = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06)  # x^0, ..., x^6
TANH_CLAMP, TANH_LINEAR = 7.90531110763549805, 4e-4
TANH_P32, TANH_Q32 = np.array(TANH_P, np.float32), np.array(TANH_Q, np.float32)


@by_size
def _tanh_forward_rational(x, p, q, clamp, linear, y):
    """p (7,), q (4,): TANH_P and TANH_Q in x's dtype, so that no float64 constant enters the loop."""
    lim, lin = x.dtype.type(clamp), x.dtype.type(linear)
    for i in prange(x.size):  # flat (size,); no branch but selects, so it vectorizes
        v = min(max(x[i], -lim), lim)  # a NaN passes through min/max and the polynomials
        v2 = v * v
        num = ((((((p[6] * v2 + p[5]) * v2 + p[4]) * v2 + p[3]) * v2 + p[2]) * v2 + p[1]) * v2 + p[0]) * v
        den = ((q[3] * v2 + q[2]) * v2 + q[1]) * v2 + q[0]
        y[i] = x[i] if abs(x[i]) < lin else num / den


@by_size
def _tanh_backward(dy, y, dx):
    one = y.dtype.type(1)
    for i in prange(y.size):  # flat (size,); d tanh(x)/dx = 1 - tanh(x)^2
        dx[i] = dy[i] * (one - y[i] * y[i])


@by_size
def _sigmoid_forward(x, y):
    for i in prange(x.size):  # flat (size,)
        y[i] = stable_sigmoid(x[i])


@by_size
def _sigmoid_backward(dy, y, dx):
    one = y.dtype.type(1)
    for i in prange(y.size):  # flat (size,); d sigma(x)/dx = sigma(x) (1 - sigma(x))
        dx[i] = dy[i] * y[i] * (one - y[i])


def _flat(a):
    return np.ascontiguousarray(a).reshape(-1)


def _unary(op, kernel, x, *args, out=None):
    require_float(op, "x", x)
    y = buffer(out, op, x.shape, x.dtype)
    kernel(_flat(x), *args, y.reshape(-1))
    return y


def _binary(op, kernel, dy, saved_name, saved, *args, out=None):
    check_same_shape(op, dy=dy, **{saved_name: saved})
    dx = buffer(out, op, dy.shape, dy.dtype)
    kernel(_flat(dy), _flat(saved), *args, dx.reshape(-1))
    return dx


def relu_forward(x, out=None):
    """y = max(x, 0), any shape."""
    return _unary("relu_forward", _relu_forward, x, out=out)


def relu_backward(dy, x, out=None):
    """dx = dy * [x > 0]; x is the forward's input."""
    return _binary("relu_backward", _relu_backward, dy, "x", x, out=out)


def leaky_relu_forward(x, alpha=0.2, out=None):
    """y = x if x > 0 else alpha * x, any shape."""
    return _unary("leaky_relu_forward", _leaky_relu_forward, x, float(alpha), out=out)


def leaky_relu_backward(dy, x, alpha=0.2, out=None):
    """dx = dy * (1 if x > 0 else alpha); x is the forward's input."""
    return _binary("leaky_relu_backward", _leaky_relu_backward, dy, "x", x, float(alpha), out=out)


def tanh_forward(x, out=None):
    """y = tanh(x), any shape; float32 through the vectorized rational approximation."""
    if getattr(x, "dtype", None) == np.float32:
        return _unary("tanh_forward", _tanh_forward_rational, x, TANH_P32, TANH_Q32, TANH_CLAMP, TANH_LINEAR,
                      out=out)
    return _unary("tanh_forward", _tanh_forward, x, out=out)


def tanh_backward(dy, y, out=None):
    """dx = dy * (1 - y^2); y is the forward's output."""
    return _binary("tanh_backward", _tanh_backward, dy, "y", y, out=out)


def sigmoid_forward(x, out=None):
    """y = 1 / (1 + exp(-x)), evaluated without overflow for either sign of x."""
    return _unary("sigmoid_forward", _sigmoid_forward, x, out=out)


def sigmoid_backward(dy, y, out=None):
    """dx = dy * y * (1 - y); y is the forward's output."""
    return _binary("sigmoid_backward", _sigmoid_backward, dy, "y", y, out=out)
