import numpy as np

def corrected(moment, beta, step):
    return moment / (1.0 - beta ** step)

def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad * grad
    param[...] -= lr * corrected(m, beta1, step) / (np.sqrt(corrected(v, beta2, step)) + eps)
