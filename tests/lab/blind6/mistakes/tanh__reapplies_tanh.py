# expect: x-formula applied to y
# mistake: Computes dx = dy * (1 - tanh(y)**2), applying tanh again to the saved output y as if it were the input.
"""minigan lab: tanh's backward.

Forward (given): y = tanh(x), elementwise.

Write tanh_backward(dy, y) -> dx. Note the second argument: the forward's *output* y,
not its input. A layer keeps y anyway, and tanh's derivative is cheapest written in y.

Hints (no answers):
- d tanh(x) / dx, written with tanh(x) itself.

Check your work with
    python -m minigan lab check tanh THIS_FILE
"""

import numpy as np


def tanh_forward(x):
    return np.tanh(x)


def tanh_backward(dy, y):
    return dy * (1.0 - np.tanh(y) ** 2)
