"""The logistic sigmoid of one number, for every CPU kernel that needs it (activations, losses)."""

import numpy as np
from numba import njit


@njit(cache=True)
def stable_sigmoid(v):
    """Scalar sigmoid that never overflows: exp of a non-positive number only."""
    one = type(v)(1)
    if v < 0:  # e^v, not e^-v, so that a large negative v cannot overflow
        e = np.exp(v)
        return e / (one + e)
    return one / (one + np.exp(-v))
