# expect: eps inside the square root
# mistake: Adds eps inside the square root, sqrt(v_hat + eps), instead of after it, which changes the step a lot when gradients are small.
"""minigan lab: one Adam step (Kingma & Ba 2015, Algorithm 1).

Write adam_update(param, grad, m, v, step, lr, beta1, beta2, eps), in place on param, m
and v (arrays of one shape; write into them, e.g. param[i] = ..., and return nothing).
step is t, counted from 1:
    m = beta1 m + (1 - beta1) g          the running mean of the gradient
    v = beta2 v + (1 - beta2) g^2        and of its square
    m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)
    param = param - lr * m_hat / (sqrt(v_hat) + eps)

Hints (no answers):
- Why the two divisions by (1 - beta^t)? Look at m after the first step, when it started
  at zero. The grader checks t = 1 and later steps.
- An optimizer step is not part of any backward: minigan keeps them apart, so that each
  backward can be gradient-checked on its own.

Check your work with
    python -m minigan lab check adam THIS_FILE
"""

import numpy as np  # noqa: F401  (yours to use)


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m[:] = beta1 * m + (1.0 - beta1) * grad
    v[:] = beta2 * v + (1.0 - beta2) * grad * grad
    m_hat = m / (1.0 - beta1 ** step)
    v_hat = v / (1.0 - beta2 ** step)
    param[:] = param - lr * m_hat / np.sqrt(v_hat + eps)
