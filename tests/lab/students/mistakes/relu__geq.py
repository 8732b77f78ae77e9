# expect: relu's slope at 0


def relu_backward(dy, x):
    return dy * (x >= 0)
