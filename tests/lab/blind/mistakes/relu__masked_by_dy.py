# expect: masked by dy, not x
# mistake: passes dy where dy > 0 (relu applied to dy), not where x > 0
import numpy as np


def relu_backward(dy, x):
    return np.where(dy > 0, dy, 0.0)
