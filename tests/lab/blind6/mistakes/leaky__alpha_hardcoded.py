# expect: hard-coded slope
# mistake: Hard-codes the negative-side slope as 0.2 instead of using the alpha argument.
"""minigan lab: LeakyReLU's backward.

Forward (given): y = x where x > 0, alpha * x elsewhere; alpha > 0 (the GAN uses 0.2).

Write leaky_relu_backward(dy, x, alpha) -> dx, of x's shape.

Hints (no answers):
- Elementwise, as relu: the slope on each side of 0, times dy.
- alpha is an argument: the grader tries more than one value.

Check your work with
    python -m minigan lab check leaky_relu THIS_FILE
"""

import numpy as np


def leaky_relu_forward(x, alpha=0.2):
    return np.where(x > 0, x, alpha * x)


def leaky_relu_backward(dy, x, alpha=0.2):
    return np.where(x > 0, dy, 0.2 * dy)
