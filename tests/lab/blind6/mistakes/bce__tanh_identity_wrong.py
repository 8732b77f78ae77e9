# expect: sigmoid's argument scaled
# mistake: Uses the overflow-free identity sigmoid(z) = (1 + tanh(z)) / 2, misremembered: it should be (1 + tanh(z/2)) / 2.
import numpy as np


def bce_with_logits_forward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    total = 0.0
    for i in range(z.size):  # entries
        total += max(z[i], 0.0) - z[i] * t[i] + np.log1p(np.exp(-abs(z[i])))
    return total / z.size


def bce_with_logits_backward(logits, targets):
    p = 0.5 * (1.0 + np.tanh(logits))   # sigmoid without exp overflow
    return (p - targets) / logits.size
