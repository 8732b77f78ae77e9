# expect: wrong formula
# mistake: dy * (1 - y^2) expanded as dy - y^2 (dy left off the second term)


def tanh_backward(dy, y):
    return dy - y * y
