# expect: bias-corrected moments stored
# mistake: the bias-corrected first moment is written back into m (m /= 1 - beta1^t in place), so the running state m is corrupted for the next step (and m differs from the true running mean already after step 1).
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[:] = beta1 * m + (1 - beta1) * grad
    v[:] = beta2 * v + (1 - beta2) * grad ** 2
    m /= 1 - beta1 ** step          # m_hat
    v_hat = v / (1 - beta2 ** step)
    param[:] = param - lr * m / (np.sqrt(v_hat) + eps)
