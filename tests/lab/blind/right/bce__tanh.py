# right: sigmoid through tanh, the mean as a division by size
import numpy as np


def bce_with_logits_backward(logits, targets):
    p = 0.5 + 0.5 * np.tanh(0.5 * logits)
    return (p - targets) / np.size(logits)
