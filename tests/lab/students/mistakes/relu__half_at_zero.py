# expect: relu's slope at 0
def relu_backward(dy, x):
    dx = dy * (x > 0)
    dx[x == 0] = 0.5 * dy[x == 0]
    return dx
