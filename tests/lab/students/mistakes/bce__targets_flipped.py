# expect: targets flipped
import numpy as np

def bce_with_logits_backward(logits, targets):
    p = 0.5 * (1 + np.tanh(logits / 2))
    return (p - (1 - targets)) / logits.size
