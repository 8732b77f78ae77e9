# expect: written for one number of dimensions
# mistake: Loops for i in range(param.size) indexing param[i], grad[i], m[i], v[i] directly and uses math.sqrt, which only works for 1-D parameters (2-D or 4-D params raise).
import math  # noqa: F401  (yours to use)


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    c1 = 1.0 - beta1 ** step
    c2 = 1.0 - beta2 ** step
    for i in range(param.size):
        g = grad[i]
        m[i] = beta1 * m[i] + (1.0 - beta1) * g
        v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
        param[i] -= lr * (m[i] / c1) / (math.sqrt(v[i] / c2) + eps)
