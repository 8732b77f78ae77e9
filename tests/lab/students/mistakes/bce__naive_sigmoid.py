# expect: sigmoid overflow
import numpy as np

def bce_with_logits_forward(logits, targets):
    z, t = logits, targets
    return np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))

def bce_with_logits_backward(logits, targets):
    p = np.exp(logits) / (1 + np.exp(logits))
    return (p - targets) / logits.size
