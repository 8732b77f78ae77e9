# expect: wrong derivative
def tanh_backward(dy, y):
    return dy * y * (1 - y)
