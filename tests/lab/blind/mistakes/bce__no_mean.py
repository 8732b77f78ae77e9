# expect: loss's 1/M missing
# mistake: sigmoid(z) - t without the mean's 1/M
import numpy as np


def bce_with_logits_backward(logits, targets):
    z = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return p - targets
