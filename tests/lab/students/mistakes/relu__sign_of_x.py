# expect: relu's slope at 0
import numpy as np


def relu_backward(dy, x):
    # slope 1 on the right, 0 on the left; sign(0) = 0 so take (sign + 1) / 2
    return dy * (np.sign(x) + 1) / 2
