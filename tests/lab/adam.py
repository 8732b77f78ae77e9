import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p, g, mf, vf = param.ravel(), grad.ravel(), m.ravel(), v.ravel()
    for i in range(p.size):
        mf[i] = beta1 * mf[i] + (1.0 - beta1) * g[i]
        vf[i] = beta2 * vf[i] + (1.0 - beta2) * g[i] * g[i]
        m_hat = mf[i] / (1.0 - beta1 ** step)
        v_hat = vf[i] / (1.0 - beta2 ** step)
        p[i] -= lr * m_hat / (np.sqrt(v_hat) + eps)
