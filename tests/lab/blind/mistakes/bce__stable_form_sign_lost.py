# expect: the stable form differentiated wrong
# mistake: differentiates the stable form max(z,0) - z t + log(1 + exp(-|z|)) but drops sign(z) from d|z|/dz
import numpy as np


def bce_with_logits_backward(logits, targets):
    e = np.exp(-np.abs(logits))
    return ((logits > 0) - targets - e / (1.0 + e)) / logits.size
