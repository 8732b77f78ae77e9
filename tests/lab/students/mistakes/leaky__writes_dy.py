# expect: input changed in place


def leaky_relu_backward(dy, x, alpha=0.2):
    dy[x < 0] *= alpha
    return dy
