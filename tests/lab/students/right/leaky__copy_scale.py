
def leaky_relu_backward(dy, x, alpha=0.2):
    dx = dy.copy()
    dx[x < 0] *= alpha
    return dx
