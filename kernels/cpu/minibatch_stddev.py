"""Minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs", sec. 3),
on (N, F) features: one extra feature telling D how varied a group of samples is, so a
generator that puts out one glyph for every z is easy to spot.

Forward, for each group g of S consecutive samples (N divisible by S):
    mu[f]  = mean_{s in g} h[s, f]
    sd[f]  = sqrt(mean_{s in g} (h[s, f] - mu[f])^2 + eps)
    stat_g = mean_f sd[f]
    y[s]   = [h[s, 0], ..., h[s, F-1], stat_g]        (N, F + 1)
Backward, given dy (N, F + 1): the first F columns pass straight through; the last one
reaches h through stat_g:
    dstat_g  = sum_{s in g} dy[s, F]
    dh[s, f] = dy[s, f] + dstat_g / F * (h[s, f] - mu[f]) / (S * sd[f])
(d sd / d h[s, f] = (h[s, f] - mu[f]) / (S sd[f]); the path through mu sums to zero
because the deviations of a group sum to zero.)

Groups are consecutive rows, so with the D step's [real; fake] batch and S dividing B,
no group mixes real and fake samples.
"""

import numpy as np
from numba import njit

from kernels.checks import check_minibatch_stddev
from kernels.cpu.memory import buffer


@njit(cache=True)
def _group_stats(h, S, eps, mu, sd, stat):
    """-> mu (N/S, F), sd (N/S, F), stat (N/S,), written over."""
    N, F = h.shape
    t = h.dtype.type
    G = N // S
    mu[:] = 0
    sd[:] = 0
    stat[:] = 0
    for g in range(G):  # groups
        for s in range(g * S, (g + 1) * S):  # mean over the group: (F,)
            for f in range(F):
                mu[g, f] += h[s, f]
        for f in range(F):
            mu[g, f] /= t(S)
        for s in range(g * S, (g + 1) * S):  # variance about it: (F,)
            for f in range(F):
                d = h[s, f] - mu[g, f]
                sd[g, f] += d * d
        for f in range(F):
            sd[g, f] = np.sqrt(sd[g, f] / t(S) + t(eps))
            stat[g] += sd[g, f]
        stat[g] /= t(F)


@njit(cache=True)
def _forward(h, S, eps, mu, sd, stat, y):
    N, F = h.shape
    _group_stats(h, S, eps, mu, sd, stat)
    for n in range(N):  # (N, F + 1)
        for f in range(F):
            y[n, f] = h[n, f]
        y[n, F] = stat[n // S]


@njit(cache=True)
def _backward(dy, h, S, eps, mu, sd, stat, dh):
    # forward was y = [h, stat_group]; stat = mean_f sqrt(var_group(h[:, f]) + eps)
    N, F = h.shape
    _group_stats(h, S, eps, mu, sd, stat)
    for g in range(N // S):  # groups
        dstat = dy.dtype.type(0)
        for s in range(g * S, (g + 1) * S):
            dstat += dy[s, F]
        for s in range(g * S, (g + 1) * S):  # (S, F)
            for f in range(F):
                dh[s, f] = dy[s, f] + dstat / dy.dtype.type(F) * (h[s, f] - mu[g, f]) / (dy.dtype.type(S) * sd[g, f])


def _stats(out, h, group_size):
    """The group statistics' room: mu, sd (N/S, F) and stat (N/S,)."""
    G, F = h.shape[0] // group_size, h.shape[1]
    return (buffer(out, "minibatch_stddev.mu", (G, F), h.dtype), buffer(out, "minibatch_stddev.sd", (G, F), h.dtype),
            buffer(out, "minibatch_stddev.stat", (G,), h.dtype))


def minibatch_stddev_forward(h, group_size=4, eps=1e-8, out=None):
    """h (N, F) -> y (N, F + 1): h with its group's mean standard deviation appended.
    out: a Workspace (kernels/workspace.py) for y and the group statistics, or None."""
    check_minibatch_stddev("minibatch_stddev_forward", h, group_size)
    y = buffer(out, "minibatch_stddev.y", (h.shape[0], h.shape[1] + 1), h.dtype)
    _forward(np.ascontiguousarray(h), int(group_size), float(eps), *_stats(out, h, group_size), y)
    return y


def minibatch_stddev_backward(dy, h, group_size=4, eps=1e-8, out=None):
    """dy (N, F + 1), h (N, F) -> dh (N, F); out as in minibatch_stddev_forward."""
    check_minibatch_stddev("minibatch_stddev_backward", h, group_size, dy)
    dh = buffer(out, "minibatch_stddev.dh", h.shape, h.dtype)
    _backward(np.ascontiguousarray(dy), np.ascontiguousarray(h), int(group_size), float(eps), *_stats(out, h, group_size),
              dh)
    return dh
