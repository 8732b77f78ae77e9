# expect: Adam without bias correction
# mistake: no bias correction: m and v used as they are
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad * grad
    param -= lr * m / (np.sqrt(v) + eps)
