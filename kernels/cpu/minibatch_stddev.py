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


@njit(cache=True)
def _group_stats(h, S, eps):
    """-> mu (N/S, F), sd (N/S, F), stat (N/S,)."""
    N, F = h.shape
    t = h.dtype.type
    G = N // S
    mu = np.zeros((G, F), dtype=h.dtype)
    sd = np.zeros((G, F), dtype=h.dtype)
    stat = np.zeros(G, dtype=h.dtype)
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
    return mu, sd, stat


@njit(cache=True)
def _forward(h, S, eps):
    N, F = h.shape
    _, _, stat = _group_stats(h, S, eps)
    y = np.empty((N, F + 1), dtype=h.dtype)
    for n in range(N):  # (N, F + 1)
        for f in range(F):
            y[n, f] = h[n, f]
        y[n, F] = stat[n // S]
    return y


@njit(cache=True)
def _backward(dy, h, S, eps):
    # forward was y = [h, stat_group]; stat = mean_f sqrt(var_group(h[:, f]) + eps)
    N, F = h.shape
    mu, sd, _ = _group_stats(h, S, eps)
    dh = np.empty_like(h)
    for g in range(N // S):  # groups
        dstat = dy.dtype.type(0)
        for s in range(g * S, (g + 1) * S):
            dstat += dy[s, F]
        for s in range(g * S, (g + 1) * S):  # (S, F)
            for f in range(F):
                dh[s, f] = dy[s, f] + dstat / dy.dtype.type(F) * (h[s, f] - mu[g, f]) / (dy.dtype.type(S) * sd[g, f])
    return dh


def minibatch_stddev_forward(h, group_size=4, eps=1e-8):
    """h (N, F) -> y (N, F + 1): h with its group's mean standard deviation appended."""
    check_minibatch_stddev("minibatch_stddev_forward", h, group_size)
    return _forward(np.ascontiguousarray(h), int(group_size), float(eps))


def minibatch_stddev_backward(dy, h, group_size=4, eps=1e-8):
    """dy (N, F + 1), h (N, F) -> dh (N, F)."""
    check_minibatch_stddev("minibatch_stddev_backward", h, group_size, dy)
    return _backward(np.ascontiguousarray(dy), np.ascontiguousarray(h), int(group_size), float(eps))
