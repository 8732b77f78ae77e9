# expect: input changed in place
# mistake: zeroes dy in place and returns it: the caller's dy is changed


def relu_backward(dy, x):
    dy[x <= 0] = 0.0
    return dy
