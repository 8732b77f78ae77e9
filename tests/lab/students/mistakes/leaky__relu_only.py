# expect: leaky slope missing


def leaky_relu_backward(dy, x, alpha=0.2):
    return dy * (x > 0)
