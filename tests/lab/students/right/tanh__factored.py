
def tanh_backward(dy, y):
    return dy * (1 + y) * (1 - y)
