"""Lower bounds to judge kernels against, the suite's `floor` engine. Not kernels of
minigan; yardsticks:
- Adam: its memory traffic with none of its arithmetic (adam_traffic);
- the training step: its 30 matrix products in a row, through the BLAS call the kernels make,
  and then Adam's traffic over every parameter in one call (step_floor). Everything else a
  step does (im2col, the bias and activation passes, tanh, the loss, the calls between them)
  is left out, so no engine that multiplies these matrices can step faster.
"""

import numpy as np
from numba import njit, prange

from benchmarks.gemm_floor import products_in_a_row


@njit(cache=True, parallel=True)
def adam_traffic(p, g, m, v):
    """The bytes one Adam update moves, per element: read p, g, m, v; write p, m, v (7 x 4 B
    in float32), with an add apiece instead of Adam's sqrt and divide. All parameters in one
    flat array: one call, no per-tensor dispatch. The fastest an Adam update can be here."""
    for i in prange(p.size):  # flat (size,)
        m[i] += g[i]
        v[i] += g[i]
        p[i] += m[i] + v[i]


def step_floor(batch, parameters):
    """-> a function running one step's floor: the products of benchmarks/gemm_floor.py at
    this batch size, in the step's order, then adam_traffic over `parameters` floats (G's
    and D's together, as one flat array)."""
    products = products_in_a_row(batch)
    flat = [np.zeros(parameters, np.float32) for _ in range(4)]

    def floor():
        products()
        adam_traffic(*flat)

    return floor
