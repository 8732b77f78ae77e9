# expect: wrong formula
# mistake: p - t / M: the parentheses around (p - t) lost
import numpy as np


def bce_with_logits_backward(logits, targets):
    e = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return p - targets / logits.size
