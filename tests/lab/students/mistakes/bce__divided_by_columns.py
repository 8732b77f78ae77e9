# expect: loss's 1/M missing
import numpy as np


def bce_with_logits_backward(logits, targets):
    p = 0.5 * (1.0 + np.tanh(0.5 * logits))
    return (p - targets) / logits.shape[-1]
