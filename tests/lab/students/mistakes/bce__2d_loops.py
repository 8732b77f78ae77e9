# expect: written for one number of dimensions
import numpy as np


def bce_with_logits_backward(logits, targets):
    M, K = logits.shape
    d = np.zeros((M, K))
    for i in range(M):
        for j in range(K):
            z = logits[i, j]
            s = 1 / (1 + np.exp(-z)) if z >= 0 else np.exp(z) / (1 + np.exp(z))
            d[i, j] = (s - targets[i, j]) / (M * K)
    return d
