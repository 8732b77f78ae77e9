# expect: bias correction written wrong
# mistake: the folded step size lr (1 - beta2^t) / (1 - beta1^t): the square root on the beta2 correction forgotten
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[:] = beta1 * m + (1.0 - beta1) * grad
    v[:] = beta2 * v + (1.0 - beta2) * grad * grad
    lr_t = lr * (1.0 - beta2 ** step) / (1.0 - beta1 ** step)
    param -= lr_t * m / (np.sqrt(v) + eps)
