# expect: wrong formula
# mistake: gradient by cases t == 1 (p - 1) and otherwise (p): soft targets taken as 0
import numpy as np


def bce_with_logits_backward(logits, targets):
    e = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return np.where(targets == 1.0, p - 1.0, p) / logits.size
