# expect: sigmoid overflow
import numpy as np


def bce_with_logits_backward(logits, targets):
    p = np.exp(logits) / (1 + np.exp(logits))
    return (p - targets) / logits.size
