# expect: dy not multiplied in
# mistake: returns the slope (x > 0) alone, dy not multiplied in
import numpy as np


def relu_backward(dy, x):
    return (x > 0).astype(np.float64)
