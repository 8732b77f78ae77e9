# right: tanh backward with 1 - y^2 factored as (1 - y)(1 + y), written with np.multiply and an out= buffer
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
    dx = np.multiply(1.0 - y, 1.0 + y)
    np.multiply(dx, dy, out=dx)
    return dx
