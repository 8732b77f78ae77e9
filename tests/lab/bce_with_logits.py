import numpy as np


def bce_with_logits_forward(logits, targets):
    z, t = logits.ravel(), targets.ravel()
    return np.mean(np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z))))


def bce_with_logits_backward(logits, targets):
    z, t = logits.ravel(), targets.ravel()
    d = np.empty_like(z)
    for i in range(z.size):
        if z[i] >= 0:
            s = 1.0 / (1.0 + np.exp(-z[i]))
        else:
            e = np.exp(z[i])
            s = e / (1.0 + e)
        d[i] = (s - t[i]) / z.size
    return d.reshape(logits.shape)
