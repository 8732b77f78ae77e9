# expect: wrong only where the case has a property
# mistake: the step uses the raw gradient over sqrt(v_hat) (RMSProp's), m_hat computed but unused
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** step)  # noqa: F841
    v_hat = v / (1 - beta2 ** step)
    param -= lr * grad / (np.sqrt(v_hat) + eps)
