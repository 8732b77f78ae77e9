# expect: dy not multiplied in


def tanh_backward(dy, y):
    return 1.0 - y * y
