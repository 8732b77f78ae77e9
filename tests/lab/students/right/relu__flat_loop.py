import numpy as np

def relu_backward(dy, x):
    dx = np.zeros(dy.shape)
    flat_dx, flat_dy, flat_x = dx.reshape(-1), dy.reshape(-1), x.reshape(-1)
    for i in range(flat_x.size):
        if flat_x[i] > 0.0:
            flat_dx[i] = flat_dy[i]
    return dx
