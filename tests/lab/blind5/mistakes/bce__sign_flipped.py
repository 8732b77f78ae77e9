# expect: sign flipped
# mistake: the sign is flipped: it returns (t - sigmoid(z)) / M, the gradient of the negated loss.
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
    sig = np.empty_like(z, dtype=float)
    p = z >= 0
    sig[p] = 1 / (1 + np.exp(-z[p]))
    q = np.exp(z[~p])
    sig[~p] = q / (1 + q)
    return (t - sig) / z.size
