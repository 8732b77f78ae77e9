import numpy as np

def bce_with_logits_backward(logits, targets):
    p = np.exp(-np.logaddexp(0.0, -logits))
    return (p - targets) / logits.size
