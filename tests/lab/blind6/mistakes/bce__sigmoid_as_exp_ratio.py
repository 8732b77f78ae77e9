# expect: sigmoid overflow
# mistake: Computes the sigmoid as exp(z) / (1 + exp(z)), which gives inf/inf = nan for large positive logits such as +1000.
"""minigan lab: binary cross-entropy on logits, its backward.

Forward (given): the mean over the M entries of
    l(z, t) = max(z, 0) - z * t + log(1 + exp(-|z|))
which is -t log(sigmoid(z)) - (1 - t) log(1 - sigmoid(z)) written so that nothing
overflows. logits z and targets t have the same shape (M entries in all); the loss is a
scalar.

Write bce_with_logits_backward(logits, targets) -> dL/dlogits, shaped like logits.

Hints (no answers):
- Differentiate the -t log(sigmoid(z)) - ... form per entry; it simplifies a lot.
- The loss is a mean, not a sum.
- The grader tries logits of +-1000: sigmoid has a trap there (see the sigmoid exercise).

Check your work with
    python -m minigan lab check bce_with_logits THIS_FILE
"""

import numpy as np


def bce_with_logits_forward(logits, targets):
    z = logits.ravel()
    t = targets.ravel()
    total = 0.0
    for i in range(z.size):  # entries
        total += max(z[i], 0.0) - z[i] * t[i] + np.log1p(np.exp(-abs(z[i])))
    return total / z.size


def bce_with_logits_backward(logits, targets):
    ez = np.exp(logits)
    p = ez / (1.0 + ez)
    return (p - targets) / logits.size
