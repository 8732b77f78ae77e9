# expect: written for one number of dimensions
# mistake: a loop over the first axis with math.sqrt: works for 1-D parameters only
import math


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    for i in range(param.shape[0]):
        m[i] = beta1 * m[i] + (1.0 - beta1) * grad[i]
        v[i] = beta2 * v[i] + (1.0 - beta2) * grad[i] ** 2
        param[i] -= lr * (m[i] / (1.0 - beta1 ** step)) / (math.sqrt(v[i] / (1.0 - beta2 ** step)) + eps)
