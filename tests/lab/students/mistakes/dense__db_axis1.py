# expect: summed over the wrong axis
import numpy as np

def dense_backward(dy, x, w):
    dx = dy.dot(w.T)
    dw = x.T.dot(dy)
    db = np.sum(dy, axis=1)
    return dx, dw, db
