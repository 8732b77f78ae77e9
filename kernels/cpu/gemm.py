"""The one matrix product every fast CPU kernel uses: C = A @ B, written into C.

``np.dot(a, b, out)`` inside ``@njit``: Numba calls BLAS sgemm/dgemm (SciPy's OpenBLAS)
with the caller's array as the output, so the product allocates nothing. A or B may be a
transposed view (``w.T``, F-ordered): BLAS reads it as stored, without a copy.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def gemm_into(a, b, c):
    np.dot(a, b, c)  # (M, K) @ (K, N) -> c (M, N)
