# right: loops, each sign of z with its safe form of the sigmoid
import math

import numpy as np


def bce_with_logits_backward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    g = np.empty(z.size)
    for i in range(z.size):
        if z[i] >= 0:
            p = 1.0 / (1.0 + math.exp(-z[i]))
        else:
            e = math.exp(z[i])
            p = e / (1.0 + e)
        g[i] = (p - t[i]) / z.size
    return g.reshape(logits.shape)
