"""Parameter updates on the GPU, in place, one thread per element: the formulas of
kernels/cpu/optim.py (Adam with the paper's bias corrections, SGD with momentum, the moving
average of weights), kept apart from every backward as there."""

import math

import numpy as np
from numba import cuda

from kernels.checks import check_decay, check_in_place, check_step
from kernels.cuda.launch import flat, grid_1d


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


def adam_update(param, grad, m, v, step, spec):
    """One Adam step in place on device arrays param, m and v (formula: kernels/cpu/optim.py).
    step is t, counted from 1; spec an AdamSpec (kernels/specs.py): lr, beta1, beta2, eps."""
    check_step("adam_update", step)
    check_in_place("adam_update", param=param, grad=grad, m=m, v=v)
    lr, beta1, beta2, eps = spec.lr, spec.beta1, spec.beta2, spec.eps
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
