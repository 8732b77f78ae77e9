# expect: wrong only where the case has a property
# mistake: targets rounded to 0/1 first ("labels are binary"): wrong for soft targets
import numpy as np


def bce_with_logits_backward(logits, targets):
    t = np.round(targets)
    e = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return (p - t) / logits.size
