# expect: loss's 1/M missing
import numpy as np


def bce_with_logits_backward(logits, targets):
    s = 0.5 * (1.0 + np.tanh(0.5 * logits))
    return s - targets
