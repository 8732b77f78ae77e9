# expect: Adam without bias correction
# mistake: the step uses m and v directly, with no bias correction by 1 - beta1^t and 1 - beta2^t.
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad ** 2
    param -= lr * m / (np.sqrt(v) + eps)
