# expect: x-formula applied to y
# mistake: In the backward, passes the saved output y through the sigmoid again (s = sigmoid(y)) and returns dy * s * (1 - s), treating y as if it were the input x.
"""minigan lab: the sigmoid, forward and backward.

Write both:
    sigmoid_forward(x) -> y = 1 / (1 + exp(-x)), elementwise, any shape
    sigmoid_backward(dy, y) -> dx, with y the forward's *output*

The forward has a trap. exp overflows for arguments above about 709 (float64): the grader
feeds you x = +-1000. Find which of the two ways of writing the sigmoid,
1 / (1 + exp(-x)) and exp(x) / (1 + exp(x)), is safe for which sign of x.

Hints (no answers):
- d sigmoid(x) / dx, written with sigmoid(x) itself.

Check your work with
    python -m minigan lab check sigmoid THIS_FILE
"""

import numpy as np  # noqa: F401  (yours to use)


def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dy, y):
    s = sigmoid_forward(y)
    return dy * s * (1.0 - s)
