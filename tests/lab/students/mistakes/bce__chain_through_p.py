# expect: sigmoid overflow
import numpy as np


def bce_with_logits_backward(logits, targets):
    p = 1.0 / (1.0 + np.exp(-logits))
    dp = (-targets / p + (1 - targets) / (1 - p)) / logits.size
    return dp * p * (1 - p)
