# expect: input changed in place
# mistake: multiplies into dy in place (dy *= ...) and returns it


def tanh_backward(dy, y):
    dy *= 1.0 - y * y
    return dy
