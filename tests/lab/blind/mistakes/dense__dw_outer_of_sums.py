# expect: product of sums
# mistake: dw as the outer product of the batch sums of x and dy (sum of products taken as product of sums)
import numpy as np


def dense_backward(dy, x, w):
    dx = dy @ w.T
    dw = np.outer(x.sum(axis=0), dy.sum(axis=0))
    db = dy.sum(axis=0)
    return dx, dw, db
