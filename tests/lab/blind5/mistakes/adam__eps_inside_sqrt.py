# expect: eps inside the square root
# mistake: eps is added inside the square root, sqrt(v_hat + eps), instead of to sqrt(v_hat), which shrinks the step badly when gradients are small (e.g. |g| ~ 1e-6).
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    np.copyto(m, beta1 * m + (1 - beta1) * grad)
    np.copyto(v, beta2 * v + (1 - beta2) * np.square(grad))
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    np.copyto(param, param - lr * m_hat / np.sqrt(v_hat + eps))
