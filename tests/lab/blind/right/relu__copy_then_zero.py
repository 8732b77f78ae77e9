# right: a copy of dy, zeroed where x <= 0


def relu_backward(dy, x):
    dx = dy.copy()
    dx[x <= 0] = 0.0
    return dx
