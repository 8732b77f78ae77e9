# right: the folded form: step size lr sqrt(1 - beta2^t) / (1 - beta1^t), eps scaled by sqrt(1 - beta2^t)
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m *= beta1
    m += (1.0 - beta1) * grad
    v *= beta2
    v += (1.0 - beta2) * grad * grad
    c2 = np.sqrt(1.0 - beta2 ** step)
    param -= lr * c2 / (1.0 - beta1 ** step) * m / (np.sqrt(v) + eps * c2)
