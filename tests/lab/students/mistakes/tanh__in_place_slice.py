# expect: input changed in place
def tanh_backward(dy, y):
    dy[:] = dy * (1 - y * y)
    return dy
