# expect: input changed in place


def tanh_backward(dy, y):
    dy *= 1.0 - y * y
    return dy
