# expect: wrong slope
def relu_backward(dy, x):
    return dy * (x > 0) + 0.01 * dy * (x <= 0)
