# expect: Adam's power t±1
# mistake: Treats step as counted from 0 and uses t = step + 1 in the bias corrections, so every step is corrected as if it were one step later.
import numpy as np  # noqa: F401  (yours to use)


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = step + 1  # first call is t = 1
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
