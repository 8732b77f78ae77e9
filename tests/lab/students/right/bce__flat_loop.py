import math
import numpy as np

def bce_with_logits_backward(logits, targets):
    z = logits.reshape(-1)
    t = targets.reshape(-1)
    out = np.empty(z.size)
    for i in range(z.size):
        if z[i] > 0:
            p = 1.0 / (1.0 + math.exp(-z[i]))
        else:
            e = math.exp(z[i])
            p = e / (1.0 + e)
        out[i] = (p - t[i]) / z.size
    return out.reshape(logits.shape)
