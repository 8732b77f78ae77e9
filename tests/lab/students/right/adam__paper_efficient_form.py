import numpy as np

def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    np.multiply(m, beta1, out=m)
    np.add(m, (1 - beta1) * grad, out=m)
    np.multiply(v, beta2, out=v)
    np.add(v, (1 - beta2) * grad * grad, out=v)
    c2 = np.sqrt(1 - beta2 ** step)
    lr_t = lr * c2 / (1 - beta1 ** step)
    param -= lr_t * m / (np.sqrt(v) + eps * c2)
