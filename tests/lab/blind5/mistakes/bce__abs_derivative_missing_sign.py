# expect: the stable form differentiated wrong
# mistake: differentiating the stable form term by term, it drops the sign(z) factor from d/dz log(1 + exp(-|z|)), so the gradient is wrong (-t - sigmoid(z) instead of sigmoid(z) - t) for every negative logit (it is right for z >= 0).
import numpy as np


def bce_with_logits_forward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    total = 0.0
    for i in range(z.size):  # entries
        total += max(z[i], 0.0) - z[i] * t[i] + np.log1p(np.exp(-abs(z[i])))
    return total / z.size


def bce_with_logits_backward(logits, targets):
    z, t = logits, targets
    M = z.size
    e = np.exp(-np.abs(z))
    d_max = (z >= 0).astype(float)         # d max(z, 0) / dz
    d_lin = -t                             # d (-z t) / dz
    d_log = -e / (1.0 + e)                 # d log(1 + exp(-|z|)) / dz
    return (d_max + d_lin + d_log) / M
