# expect: input changed in place


def relu_backward(dy, x):
    dy[x <= 0] = 0.0
    return dy
