# expect: written for one number of dimensions
import numpy as np

def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    R, C = param.shape
    for i in range(R):
        for j in range(C):
            g = grad[i, j]
            m[i, j] = beta1 * m[i, j] + (1 - beta1) * g
            v[i, j] = beta2 * v[i, j] + (1 - beta2) * g * g
            mh = m[i, j] / (1 - beta1 ** step)
            vh = v[i, j] / (1 - beta2 ** step)
            param[i, j] -= lr * mh / (np.sqrt(vh) + eps)
