"""Minibatch standard deviation on the GPU (math and gradient: kernels/cpu/minibatch_stddev.py).

Statistics: one thread per (group, feature) looping over the group's S rows (two passes, as
the CPU: the mean, then the squared deviations about it); the group's statistic, one thread
per group averaging its F standard deviations; the output and the gradient, one thread per
element."""

import math

from numba import cuda

from kernels.checks import check_minibatch_stddev
from kernels.cuda.launch import grid_1d
from kernels.cuda.memory import buffer


@cuda.jit
def _group_stats(h, S, eps, mu, sd):
    i = cuda.grid(1)
    G, F = mu.shape
    if i < G * F:
        g, f = i // F, i % F  # (G, F)
        t = h.dtype.type
        m = t(0)
        for s in range(g * S, (g + 1) * S):
            m += h[s, f]
        m /= t(S)
        q = t(0)
        for s in range(g * S, (g + 1) * S):
            d = h[s, f] - m
            q += d * d
        mu[g, f] = m
        sd[g, f] = math.sqrt(q / t(S) + t(eps))


@cuda.jit
def _group_stat(sd, stat):
    g = cuda.grid(1)
    G, F = sd.shape
    if g < G:
        acc = sd.dtype.type(0)
        for f in range(F):  # in feature order, as the CPU sums
            acc += sd[g, f]
        stat[g] = acc / sd.dtype.type(F)


@cuda.jit
def _append_stat(h, stat, S, y):
    i = cuda.grid(1)
    N, F1 = y.shape
    if i < y.size:
        n, j = i // F1, i % F1  # (N, F + 1)
        y[n, j] = stat[n // S] if j == F1 - 1 else h[n, j]


@cuda.jit
def _backward(dy, h, mu, sd, S, dh):
    i = cuda.grid(1)
    N, F = h.shape
    if i < h.size:
        n, f = i // F, i % F  # (N, F)
        g = n // S
        t = h.dtype.type
        dstat = t(0)
        for s in range(g * S, (g + 1) * S):  # the group's gradient on its statistic
            dstat += dy[s, F]
        dh[n, f] = dy[n, f] + dstat / t(F) * (h[n, f] - mu[g, f]) / (t(S) * sd[g, f])


def _stats(h, S, eps, out):
    G, F = h.shape[0] // S, h.shape[1]
    mu, sd = buffer(out, "minibatch_stddev.mu", (G, F), h.dtype), buffer(out, "minibatch_stddev.sd", (G, F), h.dtype)
    blocks, threads = grid_1d(G * F)
    _group_stats[blocks, threads](h, S, eps, mu, sd)
    return mu, sd


def minibatch_stddev_forward(h, group_size=4, eps=1e-8, out=None):
    """h (N, F) -> y (N, F + 1): h with its group's mean standard deviation appended."""
    check_minibatch_stddev("minibatch_stddev_forward", h, group_size)
    S = int(group_size)
    _, sd = _stats(h, S, float(eps), out)
    stat = buffer(out, "minibatch_stddev.stat", (sd.shape[0],), h.dtype)
    blocks, threads = grid_1d(sd.shape[0])
    _group_stat[blocks, threads](sd, stat)
    y = buffer(out, "minibatch_stddev.y", (h.shape[0], h.shape[1] + 1), h.dtype)
    blocks, threads = grid_1d(y.size)
    _append_stat[blocks, threads](h, stat, S, y)
    return y


def minibatch_stddev_backward(dy, h, group_size=4, eps=1e-8, out=None):
    """dy (N, F + 1), h (N, F) -> dh (N, F)."""
    check_minibatch_stddev("minibatch_stddev_backward", h, group_size, dy)
    S = int(group_size)
    mu, sd = _stats(h, S, float(eps), out)  # recomputed, as the CPU's backward does: cheap next to D's GEMMs
    dh = buffer(out, "minibatch_stddev.dh", h.shape, h.dtype)
    blocks, threads = grid_1d(h.size)
    _backward[blocks, threads](dy, h, mu, sd, S, dh)
    return dh
