import numpy as np

def dense_backward(dy, x, w):
    return [np.matmul(dy, w.transpose()), np.matmul(x.transpose(), dy), dy.sum(axis=0, keepdims=True)[0]]
