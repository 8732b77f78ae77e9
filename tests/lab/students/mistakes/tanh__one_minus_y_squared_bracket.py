# expect: wrong derivative


def tanh_backward(dy, y):
    return dy * (1 - y) ** 2
