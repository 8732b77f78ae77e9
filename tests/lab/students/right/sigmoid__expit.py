from scipy.special import expit

def sigmoid_forward(x):
    return expit(x)

def sigmoid_backward(dy, y):
    return y * (1.0 - y) * dy
