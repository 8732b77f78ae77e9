"""Gradient checking: compare a hand-written backward with centred finite differences.

For a forward y = f(x1, x2, ...) and a random upstream gradient dy, the scalar
    L = sum(dy * f(x1, x2, ...))
has dL/dxk = backward(dy, x1, x2, ...)[k]. Its numerical estimate, element by element:
    dL/dx[j] ~ (L(x[j] + h) - L(x[j] - h)) / (2h)
which is off by O(h^2) (the centred difference cancels the first-order term). Everything
runs in float64, where h = 1e-6 leaves an error near 1e-9 relative: far below any real
bug, which shows up as an error of order 1.

The reported error of one array is
    rel_error = max_j |analytic[j] - numeric[j]| / max(max_j |analytic[j]|, max_j |numeric[j]|)
(normalised by the array's largest gradient, so entries that are nearly zero do not
turn round-off into a large ratio).
"""

from dataclasses import dataclass

import numpy as np


def centred_difference(loss, x, j, h=1e-6):
    """(loss(x[j] + h) - loss(x[j] - h)) / 2h for flat index j; x is nudged in place and restored."""
    flat = x.reshape(-1)  # a view: nudging it nudges x
    saved = flat[j]
    flat[j] = saved + h
    up = float(loss())
    flat[j] = saved - h
    down = float(loss())
    flat[j] = saved
    return (up - down) / (2 * h)


def numerical_gradient(loss, x, h=1e-6):
    """dloss()/dx by centred differences, every element of x in turn."""
    return np.array([centred_difference(loss, x, j, h) for j in range(x.size)]).reshape(x.shape)


@dataclass
class GradCheckResult:
    name: str
    shape: tuple
    max_abs_error: float
    rel_error: float


def errors(analytic, numeric):
    """(max abs error, rel_error) of two float64 arrays of one shape."""
    abs_err = float(np.max(np.abs(analytic - numeric))) if analytic.size else 0.0
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numeric), initial=0.0)))
    return abs_err, (abs_err / scale if scale > 0 else abs_err)


def relative_error(analytic, numeric):
    """The rel_error above of two float64 arrays of one shape."""
    return errors(analytic, numeric)[1]


def compare(name, analytic, numeric):
    """One GradCheckResult for an analytic gradient against its numerical estimate."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"gradient of {name} has shape {analytic.shape}, expected {numeric.shape}")
    return GradCheckResult(name, analytic.shape, *errors(analytic, numeric))


@dataclass
class GradCheckReport:
    label: str
    results: list

    @property
    def worst(self):
        return max(r.rel_error for r in self.results)

    def table(self):
        lines = [f"{self.label}", f"  {'input':<10} {'shape':<20} {'max abs err':>12} {'rel err':>10}"]
        for r in self.results:
            lines.append(f"  {r.name:<10} {str(r.shape):<20} {r.max_abs_error:>12.3e} {r.rel_error:>10.3e}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def check_gradients(forward, backward, inputs, names=None, h=1e-6, seed=0, label="gradcheck"):
    """Check ``backward`` against finite differences of ``forward``.

    forward(*inputs) -> y (array or scalar); backward(dy, *inputs) -> one gradient per
    input, in order. Inputs are copied to float64 first. Returns a GradCheckReport.
    """
    xs = [np.array(a, dtype=np.float64) for a in inputs]
    names = names or [f"x{k}" for k in range(len(xs))]
    rng = np.random.default_rng(seed)
    y = np.asarray(forward(*xs))
    dy = rng.standard_normal(y.shape)
    if y.ndim == 0:
        dy = np.float64(dy)
    grads = backward(dy, *xs)
    if len(grads) != len(xs):
        raise ValueError(f"backward returned {len(grads)} gradients for {len(xs)} inputs")
    results = []
    for name, x, g in zip(names, xs, grads):
        numeric = numerical_gradient(lambda: np.sum(dy * forward(*xs)), x, h)
        results.append(compare(name, g, numeric))
    return GradCheckReport(label, results)


def spot_check(name, loss, x, analytic, n=6, h=1e-6, seed=0):
    """Compare ``analytic`` with finite differences of ``loss()`` at ``n`` random entries of
    ``x`` only: for parameter tensors too large to difference in full."""
    picks = np.random.default_rng(seed).choice(x.size, size=min(n, x.size), replace=False)
    numeric = np.array([centred_difference(loss, x, j, h) for j in picks])
    return compare(name, np.asarray(analytic).reshape(-1)[picks], numeric)
