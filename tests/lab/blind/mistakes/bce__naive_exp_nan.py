# expect: sigmoid overflow
# mistake: sigmoid as exp(z) / (1 + exp(z)): NaN at z = +1000
import numpy as np


def bce_with_logits_backward(logits, targets):
    e = np.exp(logits)
    return (e / (1.0 + e) - targets) / logits.size
