# expect: wrong derivative


def tanh_backward(dy, y):
    return dy * y * y
