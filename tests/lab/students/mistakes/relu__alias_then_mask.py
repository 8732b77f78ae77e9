# expect: input changed in place
def relu_backward(dy, x):
    dx = dy
    dx[x <= 0] = 0.0
    return dx
