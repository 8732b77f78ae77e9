# expect: mean where a sum belongs
import numpy as np

def dense_backward(dy, x, w):
    return np.dot(dy, w.T), np.dot(x.T, dy), np.mean(dy, axis=0)
