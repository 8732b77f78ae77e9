# right: one scalar loop over np.nditer with readwrite operands, bias corrections precomputed, any shape
import numpy as np


def adam_update(param, grad, m, v, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    c1 = 1.0 - beta1 ** step
    c2 = 1.0 - beta2 ** step
    with np.nditer([param, grad, m, v],
                   op_flags=[['readwrite'], ['readonly'], ['readwrite'], ['readwrite']]) as it:
        for p, g, mi, vi in it:
            mi[...] = beta1 * mi + (1.0 - beta1) * g
            vi[...] = beta2 * vi + (1.0 - beta2) * g * g
            p[...] = p - lr * (mi / c1) / (np.sqrt(vi / c2) + eps)
