import numpy as np

def dense_backward(dy, x, w):
    dw = sum(np.outer(x[n], dy[n]) for n in range(x.shape[0]))
    db = sum(dy[n] for n in range(dy.shape[0]))
    dx = np.array([w @ dy[n] for n in range(dy.shape[0])])
    return dx, dw, db
