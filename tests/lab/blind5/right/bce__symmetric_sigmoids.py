# right: per entry -t*sigmoid(-z) + (1-t)*sigmoid(z) (the two log terms differentiated separately), each sigmoid overflow-safe, divided by size
import numpy as np


def bce_with_logits_forward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    total = 0.0
    for i in range(z.size):  # entries
        total += max(z[i], 0.0) - z[i] * t[i] + np.log1p(np.exp(-abs(z[i])))
    return total / z.size


def _sigmoid(z):
    e = np.exp(-np.abs(z))          # in (0, 1], never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce_with_logits_backward(logits, targets):
    # d/dz [-t log s(z)] = -t (1 - s(z)) = -t s(-z);  d/dz [-(1-t) log(1 - s(z))] = (1 - t) s(z)
    g = -targets * _sigmoid(-logits) + (1.0 - targets) * _sigmoid(logits)
    return g / logits.size
