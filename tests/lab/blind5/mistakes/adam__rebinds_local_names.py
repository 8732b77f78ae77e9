# expect: update not in place
# mistake: it assigns param = ..., m = ..., v = ... which rebinds the local names instead of writing into the caller's arrays, so nothing is updated in place.
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
