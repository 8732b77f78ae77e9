# expect: input changed in place
# mistake: squares grad in place (grad **= 2) to reuse it for v: the caller's gradient is changed
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1 - beta1) * grad
    grad **= 2
    v *= beta2
    v += (1 - beta2) * grad
    param -= lr * (m / (1 - beta1 ** step)) / (np.sqrt(v / (1 - beta2 ** step)) + eps)
