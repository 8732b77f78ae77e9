# expect: moments used before their update
# mistake: the parameter step is taken with the previous m and v before they are updated with this step's gradient (the two moment updates come after the param update), so at t = 1 the step is 0/(0 + eps) = 0 and later steps lag by one gradient.
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
    m[:] = beta1 * m + (1 - beta1) * grad
    v[:] = beta2 * v + (1 - beta2) * grad ** 2
