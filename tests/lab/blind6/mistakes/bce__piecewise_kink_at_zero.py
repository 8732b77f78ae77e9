# expect: wrong only where the case has a property
# mistake: Differentiates the stable forward term by term with step(z > 0) and -sign(z) * e^-|z| / (1 + e^-|z|), which gives -t instead of 0.5 - t at exactly z == 0 (both kinks are dropped there).
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
    z, t = logits, targets
    d_relu = (z > 0).astype(float)                 # d max(z, 0) / dz
    e = np.exp(-np.abs(z))
    d_log = -np.sign(z) * e / (1.0 + e)            # d log(1 + e^-|z|) / dz
    return (d_relu - t + d_log) / z.size
