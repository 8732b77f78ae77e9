# expect: divided by rows, not entries
# mistake: Divides by len(logits), the number of rows, instead of logits.size, so the mean is only right when there is one logit per row (e.g. shape (N, 1) or 1-D).
import numpy as np


def bce_with_logits_forward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    total = 0.0
    for i in range(z.size):  # entries
        total += max(z[i], 0.0) - z[i] * t[i] + np.log1p(np.exp(-abs(z[i])))
    return total / z.size


def _sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce_with_logits_backward(logits, targets):
    return (_sigmoid(logits) - targets) / len(logits)
