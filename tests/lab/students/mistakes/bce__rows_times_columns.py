# expect: written for one number of dimensions
import numpy as np

def bce_with_logits_backward(logits, targets):
    p = 0.5 * (1 + np.tanh(logits / 2))
    return (p - targets) / logits.shape[0] / logits.shape[1]
