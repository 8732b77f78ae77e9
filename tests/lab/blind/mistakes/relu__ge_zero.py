# expect: relu's slope at 0
# mistake: slope 1 at exactly x = 0 (x >= 0)


def relu_backward(dy, x):
    return dy * (x >= 0)
