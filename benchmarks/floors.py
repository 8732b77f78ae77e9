"""Lower bounds to judge kernels against: what the machine can do at all for a kernel's
memory traffic, with none of its arithmetic. Not kernels of minigan; yardsticks.
"""

from numba import njit, prange


@njit(cache=True, parallel=True)
def adam_traffic(p, g, m, v):
    """The bytes one Adam update moves, per element: read p, g, m, v; write p, m, v (7 x 4 B
    in float32), with an add apiece instead of Adam's sqrt and divide. All parameters in one
    flat array: one call, no per-tensor dispatch. The fastest an Adam update can be here."""
    for i in prange(p.size):  # flat (size,)
        m[i] += g[i]
        v[i] += g[i]
        p[i] += m[i] + v[i]
