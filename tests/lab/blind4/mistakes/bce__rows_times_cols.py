# expect: scaled by a known factor
# mistake: M computed as shape[0] * shape[-1]: right for 2-D, the square of the size for 1-D
import numpy as np


def bce_with_logits_backward(logits, targets):
    M = logits.shape[0] * logits.shape[-1]
    e = np.exp(-np.abs(logits))
    p = np.where(logits >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return (p - targets) / M
