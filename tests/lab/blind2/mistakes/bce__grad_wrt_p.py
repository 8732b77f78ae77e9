# expect: gradient of the probability
# mistake: differentiates with respect to p = sigmoid(z), not z: (-t/p + (1-t)/(1-p)) / M
import numpy as np


def bce_with_logits_backward(logits, targets):
    e = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    p = np.clip(p, 1e-12, 1.0 - 1e-12)
    return (-targets / p + (1.0 - targets) / (1.0 - p)) / logits.size
