# expect: wrong derivative
# mistake: dy * y * (1 - y): the sigmoid's derivative used for tanh


def tanh_backward(dy, y):
    return dy * y * (1.0 - y)
