# expect: wrong beta in a bias correction
# mistake: m divided by (1 - beta2^t) and v by (1 - beta1^t): the corrections swapped
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad ** 2
    param -= lr * (m / (1 - beta2 ** step)) / (np.sqrt(v / (1 - beta1 ** step)) + eps)
