# expect: divided by rows, not entries
# mistake: it divides by logits.shape[0] (the batch rows) instead of logits.size, so for logits with more than one column the gradient is too large by the other dimensions' product.
import numpy as np


def bce_with_logits_forward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    total = 0.0
    for i in range(z.size):  # entries
        total += max(z[i], 0.0) - z[i] * t[i] + np.log1p(np.exp(-abs(z[i])))
    return total / z.size


def bce_with_logits_backward(logits, targets):
    e = np.exp(-np.abs(logits))
    s = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return (s - targets) / logits.shape[0]
