# expect: wrong only where the case has a property
# mistake: differentiating the stable form piecewise with (z > 0) and np.sign(z), both terms vanish at exactly z == 0, giving -t/M there instead of (0.5 - t)/M.
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
    e = np.exp(-np.abs(z))
    g = (z > 0) - t - np.sign(z) * e / (1.0 + e)
    return g / z.size
