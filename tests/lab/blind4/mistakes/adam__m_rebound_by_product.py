# expect: update not in place
# mistake: m = m * beta1 makes a new array, so the m += that follows writes into it, not the caller's m (same for v)
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = m * beta1
    m += (1 - beta1) * grad
    v = v * beta2
    v += (1 - beta2) * grad * grad
    param -= lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
