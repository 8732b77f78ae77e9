# expect: written for one number of dimensions
# mistake: the loop runs over param.shape[0] and uses math.sqrt on v[i], which only works for 1-D params; for a 2-D or 4-D param v[i] is an array and math.sqrt raises TypeError.
import math


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    bc1 = 1 - beta1 ** step
    bc2 = 1 - beta2 ** step
    for i in range(param.shape[0]):
        m[i] = beta1 * m[i] + (1 - beta1) * grad[i]
        v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i]
        param[i] -= lr * (m[i] / bc1) / (math.sqrt(v[i] / bc2) + eps)
