# expect: update not in place
# mistake: Updates param in place but assigns m = ... and v = ... to new local arrays, so the caller's moment buffers are never updated and every step behaves like the first.
import numpy as np  # noqa: F401  (yours to use)


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.square(grad)
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
