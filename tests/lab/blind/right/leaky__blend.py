# right: the slope as alpha + (1 - alpha) [x > 0]


def leaky_relu_backward(dy, x, alpha=0.2):
    return dy * (alpha + (1.0 - alpha) * (x > 0))
