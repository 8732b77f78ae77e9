# expect: betas swapped
# mistake: m averaged with beta2 and v with beta1 (the betas swapped in the moments)
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[:] = beta2 * m + (1.0 - beta2) * grad
    v[:] = beta1 * v + (1.0 - beta1) * grad * grad
    m_hat = m / (1.0 - beta1 ** step)
    v_hat = v / (1.0 - beta2 ** step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
