# expect: a number where an array belongs
import numpy as np

def dense_backward(dy, x, w):
    return dy @ w.T, x.T @ dy, np.sum(dy)
