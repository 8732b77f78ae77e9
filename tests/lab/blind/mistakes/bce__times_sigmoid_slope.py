# expect: sigmoid's derivative multiplied in
# mistake: chains through the sigmoid's derivative as well: (p - t) p (1 - p) / M
import numpy as np


def bce_with_logits_backward(logits, targets):
    z = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return (p - targets) * p * (1.0 - p) / logits.size
