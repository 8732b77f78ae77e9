# expect: moments used before their update
# mistake: Takes the parameter step with the previous step's m and v and only then updates the moments, so the current gradient reaches param one step late (and step 1 does nothing).
import numpy as np  # noqa: F401  (yours to use)


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad * grad
