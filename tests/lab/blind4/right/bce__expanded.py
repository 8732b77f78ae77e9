# right: the gradient expanded, -(t (1 - p) - (1 - t) p) / M, which is (p - t) / M
import numpy as np


def bce_with_logits_backward(logits, targets):
    p = np.exp(-np.logaddexp(0.0, -logits))
    return -(targets * (1.0 - p) - (1.0 - targets) * p) / logits.size
