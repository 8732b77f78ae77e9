
def leaky_relu_backward(dy, x, alpha=0.2):
    slope = alpha + (1.0 - alpha) * (x > 0)
    return slope * dy
