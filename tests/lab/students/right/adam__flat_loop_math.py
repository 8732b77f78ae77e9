import math

def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    p, g, mm, vv = param.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1)
    for i in range(p.size):
        mm[i] = beta1 * mm[i] + (1 - beta1) * g[i]
        vv[i] = beta2 * vv[i] + (1 - beta2) * g[i] ** 2
        p[i] = p[i] - lr * (mm[i] / (1 - beta1 ** step)) / (math.sqrt(vv[i] / (1 - beta2 ** step)) + eps)
