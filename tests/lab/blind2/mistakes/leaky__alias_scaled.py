# expect: input changed in place
# mistake: dx = dy (an alias, not a copy), then dx[x < 0] *= alpha: dy changed in place


def leaky_relu_backward(dy, x, alpha=0.2):
    dx = dy
    dx[x < 0] *= alpha
    return dx
