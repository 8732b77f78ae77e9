# expect: relu's slope at 0
# mistake: Uses the mask x >= 0, so the gradient passes through at exactly x == 0 where the lab's convention says it is 0.
"""minigan lab: relu's backward.

Forward (given): y = max(x, 0), elementwise, any shape.

Write relu_backward(dy, x) -> dx: dy = dL/dy and x (the forward's input), both of the same
shape; return dx = dL/dx, of that shape.

Hints (no answers):
- An elementwise function's gradient is elementwise too: dx[i] = dy[i] * (dy_i/dx_i).
- What is the slope of max(x, 0) on each side of 0? At exactly 0, take 0, as minigan's
  training does (x is exactly 0 there whenever a zero bias meets an all-zero input).

Check your work with
    python -m minigan lab check relu THIS_FILE
"""

import numpy as np


def relu_forward(x):
    return np.maximum(x, 0.0)


def relu_backward(dy, x):
    return dy * (x >= 0)
