"""One Adam step (Kingma & Ba 2015, Algorithm 1) as a plain loop, in place on param, m and v.

At step t = 1, 2, ...:
    m = b1 m + (1 - b1) g                    first moment (running mean of g)
    v = b2 v + (1 - b2) g^2                  second moment (running mean of g^2)
    p = p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
The bias corrections undo the pull toward the zero initial m and v in early steps.
This is the lab's signature: a student's file takes its place in the readable engine.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    t = param.dtype.type
    b1, b2 = t(beta1), t(beta2)
    c1, c2 = t(1.0 - beta1), t(1.0 - beta2)  # 1 - beta formed in float64: float32(1) - float32(0.999) is off
    correct1, correct2 = t(1.0 - beta1**step), t(1.0 - beta2**step)
    p, g, mf, vf = param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1)
    for i in range(p.size):  # flat (size,)
        mf[i] = b1 * mf[i] + c1 * g[i]
        vf[i] = b2 * vf[i] + c2 * g[i] * g[i]
        m_hat, v_hat = mf[i] / correct1, vf[i] / correct2
        p[i] -= t(lr) * m_hat / (np.sqrt(v_hat) + t(eps))
