# expect: wrong derivative
# mistake: (1 - y)^2 instead of 1 - y^2


def tanh_backward(dy, y):
    return dy * (1.0 - y) ** 2
