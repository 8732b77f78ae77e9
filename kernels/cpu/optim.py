"""Parameter updates, in place. Kept apart from every backward: a backward only computes
gradients, so it can be gradient-checked; the caller decides when parameters move.

Adam (Kingma & Ba 2015, Algorithm 1), at step t = 1, 2, ...:
    m = b1 m + (1 - b1) g                    first moment (running mean of g)
    v = b2 v + (1 - b2) g^2                  second moment (running mean of g^2)
    p = p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
The bias corrections undo the pull toward the zero initial m and v in early steps. The
code folds them as PyTorch does (step size lr / (1 - b1^t), denominator
sqrt(v) / sqrt(1 - b2^t) + eps), which is the same expression.

Subnormal moments are flushed to zero. A weight whose gradient stays 0 (behind a dead relu)
has its m halved every step (b1 = 0.5), so within ~120 steps m sinks below the smallest
normal float (1.2e-38 in float32) and spends ~20 steps as a subnormal before reaching 0.
x86 cores do arithmetic on subnormals through a microcode assist, far slower, so even
0.5 % of m subnormal doubled Adam's time over conv3's weights (docs/speed.md). Setting such an m (or v) to 0 moves p by lr * 1e-38 / eps ~ 1e-34
less than keeping it: below half an ulp of any |p| > 1e-27, so p is the same. For the same
reason the step is lr_t * (m / denominator), as PyTorch orders it: (lr_t * m) / denominator
makes a subnormal intermediate for every m below 1.2e-38 / lr_t, some 12 steps per dying weight.

SGD with momentum (PyTorch's convention, no dampening):
    u = mu u + g,   p = p - lr u

Exponential moving average of weights (Polyak averaging; Karras et al. 2018, Yazici et al.
2019), run after an optimizer step, not by it: a shadow copy of the parameters that follows
them with time constant 1 / (1 - decay) steps,
    shadow = decay * shadow + (1 - decay) * p
The shadow has no gradient and never feeds back into training.
"""

import math

import numpy as np
from numba import prange

from kernels.checks import check_decay, check_in_place, check_step
from kernels.cpu.parallel import by_size


@by_size  # independent elements: threads + SIMD when large (kernels/cpu/parallel.py)
def _adam_update(p, g, m, v, step_size, bias2_sqrt, beta1, beta2, one_minus_beta1, one_minus_beta2, eps,
                 smallest_normal):
    # 1 - beta arrives formed in float64: float32(1) - float32(0.999) is off by 1e-5
    b1, b2 = p.dtype.type(beta1), p.dtype.type(beta2)
    c1, c2 = p.dtype.type(one_minus_beta1), p.dtype.type(one_minus_beta2)
    e = p.dtype.type(eps)
    lr_t = p.dtype.type(step_size)
    bias2 = p.dtype.type(bias2_sqrt)
    tiny, zero = p.dtype.type(smallest_normal), p.dtype.type(0)
    for i in prange(p.size):  # flat (size,)
        mi = b1 * m[i] + c1 * g[i]
        vi = b2 * v[i] + c2 * g[i] * g[i]
        m[i] = zero if abs(mi) < tiny else mi  # subnormal -> 0 (module docstring); NaN stays NaN
        v[i] = zero if vi < tiny else vi
        p[i] -= lr_t * (m[i] / (np.sqrt(v[i]) / bias2 + e))  # lr_t * m first would underflow for m < 6e-35


@by_size
def _sgd_momentum_update(p, g, u, lr, momentum):
    mu = p.dtype.type(momentum)
    rate = p.dtype.type(lr)
    for i in prange(p.size):  # flat (size,)
        u[i] = mu * u[i] + g[i]
        p[i] -= rate * u[i]


@by_size
def _ema_update(shadow, p, decay, one_minus_decay):
    # 1 - decay arrives formed in float64, as Adam's 1 - beta
    d, c = shadow.dtype.type(decay), shadow.dtype.type(one_minus_decay)
    for i in prange(shadow.size):  # flat (size,)
        shadow[i] = d * shadow[i] + c * p[i]


def _flat_views(op, **arrays):
    """1-D views that share memory with the caller's arrays, so updates land in place."""
    check_in_place(op, **arrays)
    return [a.reshape(-1) for a in arrays.values()]


def adam_update(param, grad, m, v, step, spec):
    """One Adam step, in place on param, m and v. step is t, counted from 1; spec an AdamSpec
    (kernels/specs.py): lr, beta1, beta2, eps."""
    check_step("adam_update", step)
    lr, beta1, beta2, eps = spec.lr, spec.beta1, spec.beta2, spec.eps
    p, g, m, v = _flat_views("adam_update", param=param, grad=grad, m=m, v=v)
    step_size = lr / (1.0 - beta1**step)
    bias2_sqrt = math.sqrt(1.0 - beta2**step)
    _adam_update(p, g, m, v, step_size, bias2_sqrt, beta1, beta2, 1.0 - beta1, 1.0 - beta2, eps,
                 float(np.finfo(p.dtype).tiny))


def sgd_momentum_update(param, grad, velocity, lr=1e-2, momentum=0.9):
    """One SGD-with-momentum step, in place on param and velocity."""
    p, g, u = _flat_views("sgd_momentum_update", param=param, grad=grad, velocity=velocity)
    _sgd_momentum_update(p, g, u, lr, momentum)


def ema_update(shadow, param, decay):
    """shadow = decay * shadow + (1 - decay) * param, in place on shadow; param unchanged."""
    check_decay("ema_update", decay)
    s, p = _flat_views("ema_update", shadow=shadow, param=param)
    _ema_update(s, p, decay, 1.0 - decay)
