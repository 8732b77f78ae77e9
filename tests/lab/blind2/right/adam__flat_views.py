# right: loops over reshape(-1) views (the arrays are contiguous, so the views write through)
import math

import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p, g, mm, vv = param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1)
    assert np.shares_memory(p, param) and np.shares_memory(mm, m) and np.shares_memory(vv, v)
    b1t, b2t = 1.0 - beta1 ** step, 1.0 - beta2 ** step
    for i in range(p.size):
        mm[i] = beta1 * mm[i] + (1.0 - beta1) * g[i]
        vv[i] = beta2 * vv[i] + (1.0 - beta2) * g[i] * g[i]
        p[i] -= lr * (mm[i] / b1t) / (math.sqrt(vv[i] / b2t) + eps)
