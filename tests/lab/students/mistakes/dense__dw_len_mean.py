# expect: mean where a sum belongs
import numpy as np

def dense_backward(dy, x, w):
    return dy @ w.T, np.dot(x.T, dy) / len(x), dy.sum(axis=0)
