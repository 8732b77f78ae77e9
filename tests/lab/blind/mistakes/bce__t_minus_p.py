# expect: sign flipped
# mistake: (t - sigmoid(z)) / M: the sign flipped
import numpy as np


def bce_with_logits_backward(logits, targets):
    z = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return (targets - p) / logits.size
