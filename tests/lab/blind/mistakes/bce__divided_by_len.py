# expect: divided by rows, not entries
# mistake: divided by len(logits), the number of rows, not the number of entries
import numpy as np


def bce_with_logits_backward(logits, targets):
    z = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return (p - targets) / len(logits)
