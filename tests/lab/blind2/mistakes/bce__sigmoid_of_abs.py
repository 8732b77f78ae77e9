# expect: sigmoid of |x|
# mistake: "stable" sigmoid 1 / (1 + exp(-|z|)) for every z: the branch for z < 0 forgotten
import numpy as np


def bce_with_logits_backward(logits, targets):
    p = 1.0 / (1.0 + np.exp(-np.abs(logits)))
    return (p - targets) / logits.size
