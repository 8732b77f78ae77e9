def relu_backward(dy, x):
    return dy * (x > 0).astype(dy.dtype)
