"""Binary cross-entropy on logits, mean over all M elements (the batch, for a (N, 1) logit).

With p = sigmoid(z) and target t in [0, 1]:
    L = mean_i [ -t_i log p_i - (1 - t_i) log(1 - p_i) ]
Written naively this overflows (exp of a large -z) or takes log(0) once p rounds to 0 or 1,
which happens exactly when the discriminator is confident. The same value in a stable form:
    -t log p - (1 - t) log(1 - p) = max(z, 0) - z t + log(1 + exp(-|z|))
(expand log p = -log(1 + e^-z) and log(1 - p) = -z - log(1 + e^-z); pick the branch by
sign so the exponent is never positive). log1p keeps precision when exp(-|z|) is tiny.

Gradient on the logits:  dL/dz_i = (sigmoid(z_i) - t_i) / M
(the log-derivative of the sigmoid cancels the cross-entropy's 1/p: the reason to fuse
the two instead of chaining a sigmoid layer into a log loss).
"""

import numpy as np
from numba import njit

from kernels.checks import check_same_shape, check_softmax_cross_entropy
from kernels.sigmoid import stable_sigmoid
from kernels.cpu.memory import buffer


@njit(cache=True)
def _bce_with_logits_forward(z, t):
    zero = z.dtype.type(0)
    total = zero
    for i in range(z.size):  # flat (M,)
        relu_z = z[i] if z[i] > zero else zero
        total += relu_z - z[i] * t[i] + np.log1p(np.exp(-np.abs(z[i])))
    return total / z.dtype.type(z.size)


@njit(cache=True)
def _bce_with_logits_backward(z, t, dz):
    inv_m = z.dtype.type(1) / z.dtype.type(z.size)
    for i in range(z.size):  # flat (M,)
        dz[i] = (stable_sigmoid(z[i]) - t[i]) * inv_m


def bce_with_logits_forward(logits, targets):
    """Mean binary cross-entropy of sigmoid(logits) against targets; a scalar of logits' dtype."""
    check_same_shape("bce_with_logits_forward", logits=logits, targets=targets)
    return _bce_with_logits_forward(np.ascontiguousarray(logits).reshape(-1), np.ascontiguousarray(targets).reshape(-1))


def bce_with_logits_backward(logits, targets, out=None):
    """dL/dlogits = (sigmoid(logits) - targets) / M, shaped like logits; into a Workspace's
    "bce_with_logits_backward" if out is one (kernels/workspace.py), else a fresh array."""
    check_same_shape("bce_with_logits_backward", logits=logits, targets=targets)
    dz = buffer(out, "bce_with_logits_backward", logits.shape, logits.dtype)
    _bce_with_logits_backward(np.ascontiguousarray(logits).reshape(-1), np.ascontiguousarray(targets).reshape(-1),
                              dz.reshape(-1))
    return dz


@njit(cache=True)
def _softmax_cross_entropy(z, labels):
    """-> (mean loss, probabilities (N, K)). Row by row: subtract the row's max before exp
    (softmax is unchanged, exp cannot overflow), then log-sum-exp."""
    N, K = z.shape
    p = np.empty_like(z)
    total = z.dtype.type(0)
    for n in range(N):  # samples
        m = z[n, 0]
        for k in range(1, K):
            if z[n, k] > m:
                m = z[n, k]
        s = z.dtype.type(0)
        for k in range(K):  # classes
            p[n, k] = np.exp(z[n, k] - m)
            s += p[n, k]
        for k in range(K):
            p[n, k] /= s
        total += np.log(s) + m - z[n, labels[n]]  # -log softmax(z)[label] = logsumexp(z) - z[label]
    return total / z.dtype.type(N), p


@njit(cache=True)
def _softmax_cross_entropy_backward(z, labels):
    _, p = _softmax_cross_entropy(z, labels)
    inv_n = z.dtype.type(1) / z.dtype.type(z.shape[0])
    for n in range(z.shape[0]):  # (N, K): subtract the one-hot label, average over the batch
        p[n, labels[n]] -= z.dtype.type(1)
        for k in range(z.shape[1]):
            p[n, k] *= inv_n
    return p


def softmax_cross_entropy_forward(logits, labels):
    """Mean over N of -log softmax(logits[n])[labels[n]].  logits (N, K), labels (N,) ints."""
    y = check_softmax_cross_entropy("softmax_cross_entropy_forward", logits, labels)
    return _softmax_cross_entropy(np.ascontiguousarray(logits), y)[0]


def softmax_cross_entropy_backward(logits, labels):
    """dL/dlogits = (softmax(logits) - onehot(labels)) / N, (N, K): the softmax's Jacobian
    and the log's 1/p cancel, as for the sigmoid in BCE."""
    y = check_softmax_cross_entropy("softmax_cross_entropy_backward", logits, labels)
    return _softmax_cross_entropy_backward(np.ascontiguousarray(logits), y)
