# expect: hard-coded slope
# mistake: the negative-side slope is hard-coded as 0.2 instead of using the alpha argument, so any alpha other than 0.2 gives the wrong gradient.
import numpy as np


def leaky_relu_forward(x, alpha=0.2):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_backward(dy, x, alpha=0.2):
    dx = dy.copy()
    dxf, xf = dx.reshape(-1), x.reshape(-1)
    for i in range(xf.size):
        if xf[i] <= 0:
            dxf[i] *= 0.2  # the GAN's slope
    return dx
