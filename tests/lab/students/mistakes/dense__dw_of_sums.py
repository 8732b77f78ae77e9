# expect: product of sums
import numpy as np

def dense_backward(dy, x, w):
    return dy @ w.T, np.outer(x.sum(axis=0), dy.sum(axis=0)), dy.sum(axis=0)
