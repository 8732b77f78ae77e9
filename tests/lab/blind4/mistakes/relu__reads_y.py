# expect: a name the function does not have
# mistake: copied from the tanh exercise: reads y, which relu_backward does not have (NameError)


def relu_backward(dy, x):
    return dy * (y > 0)  # noqa: F821
