"""The one matrix product every fast CPU kernel uses: C = A @ B, written into C.

Two BLAS libraries can serve it; which one is settled when this module loads (``BLAS``):
- **MKL** (the ``mkl`` wheel, x86-64 Linux), when it is installed: ``cblas_sgemm`` /
  ``cblas_dgemm`` called from ``@njit`` by symbol name, so the compiled kernel caches like any
  other. MKL runs on the GNU OpenMP runtime, whose idle threads sleep after a short spin
  (kernels/__init__.py), not on Intel's, whose idle threads spin far longer; and in MKL's strict
  reproducibility mode, so a product's bits do not depend on the thread count: the count can
  follow the machine's load without changing a run (minigan/runtime.py). Its GEMMs are as fast
  as OpenBLAS's at this network's shapes or faster (docs/speed.md, "The BLAS").
- **OpenBLAS** otherwise (SciPy's, which Numba's ``np.dot`` calls): ``np.dot(a, b, out)``
  inside ``@njit``. Its bits change with its thread count.
``MINIGAN_BLAS=openblas`` picks OpenBLAS where both are there, to compare them;
``MINIGAN_BLAS=mkl`` insists on MKL and says how to install it when it is missing.

A or B may be a transposed view (``w.T``, F-ordered): BLAS reads it as stored, without a copy.
"""

import os

import numpy as np
from numba import njit, types

from kernels.wheels import wheel_library

# MKL reads these when it loads: its threads are libgomp's (asleep soon after idle under
# OMP_WAIT_POLICY=PASSIVE: kernels/__init__.py) instead of Intel's OpenMP runtime's; and
# results are reproducible whatever the thread count (AUTO picks this CPU's code path).
MKL_SETTINGS = {"MKL_THREADING_LAYER": "GNU", "MKL_CBWR": "AUTO,STRICT"}
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def _choose_blas():
    """'mkl' or 'openblas', from MINIGAN_BLAS (unset: MKL when it is installed); loads MKL."""
    asked = os.environ.get("MINIGAN_BLAS", "").strip().lower()
    if asked not in ("", "mkl", "openblas"):
        raise ValueError(f"MINIGAN_BLAS={asked!r}: set it to 'mkl' or 'openblas', or unset it (MKL when installed)")
    if asked == "openblas":
        return "openblas"
    path = wheel_library("mkl", "libmkl_rt.so")
    if path is None:
        if asked == "mkl":
            raise RuntimeError("MINIGAN_BLAS=mkl, but MKL is not installed: pip install mkl (x86-64 Linux), "
                               "or unset MINIGAN_BLAS to use OpenBLAS")
        return "openblas"
    for name, value in MKL_SETTINGS.items():
        if os.environ.setdefault(name, value) != value:
            raise RuntimeError(f"{name}={os.environ[name]!r} in the environment, but minigan runs MKL with "
                               f"{name}={value} (one thread pool; bits independent of the thread count): "
                               f"unset it, or set MINIGAN_BLAS=openblas")
    import llvmlite.binding as llvm

    llvm.load_library_permanently(path)  # cblas_?gemm resolve by name in the compiled kernels
    return "mkl"


BLAS = _choose_blas()
BLAS_NAME = {"mkl": "MKL", "openblas": "OpenBLAS"}[BLAS]

# cblas_?gemm(layout, transa, transb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); the pointers
# pass as 64-bit integers (arr.ctypes.data), which the x86-64 calling convention treats alike.
_I, _P = types.intc, types.uintp
_cblas_sgemm = types.ExternalFunction("cblas_sgemm", types.void(_I, _I, _I, _I, _I, _I, types.float32, _P, _I, _P,
                                                                _I, types.float32, _P, _I))
_cblas_dgemm = types.ExternalFunction("cblas_dgemm", types.void(_I, _I, _I, _I, _I, _I, types.float64, _P, _I, _P,
                                                                _I, types.float64, _P, _I))


@njit(cache=True)
def _operand(x):
    """How BLAS reads the matrix x (R, C) in place: (NO_TRANS, row stride) for rows contiguous,
    (TRANS, column stride) for columns contiguous (a transposed view), (0, 0) for neither."""
    R, C = x.shape
    s0, s1 = x.strides[0] // x.itemsize, x.strides[1] // x.itemsize
    if (s1 == 1 or C == 1) and (R == 1 or s0 >= max(1, C)):
        return NO_TRANS, max(1, C) if R == 1 else s0
    if (s0 == 1 or R == 1) and (C == 1 or s1 >= max(1, R)):
        return TRANS, max(1, R) if C == 1 else s1
    return 0, 0


@njit(cache=True)
def _gemm_mkl(a, b, c, beta):
    """c = a @ b + beta * c with beta 0 or 1, through cblas_?gemm on the operands as they lie."""
    M, K = a.shape
    N = b.shape[1]
    if M == 0 or N == 0:
        return
    if K == 0:
        if beta == 0:
            c[:] = 0
        return
    ta, lda = _operand(a)
    tb, ldb = _operand(b)
    tc, ldc = _operand(c)
    if ta == 0 or tb == 0 or tc != NO_TRANS:  # views BLAS cannot read in place (the kernels pass none): copies
        product = np.dot(np.ascontiguousarray(a), np.ascontiguousarray(b))
        if beta == 0:
            c[:] = product
        else:
            c += product
        return
    one, keep = c.dtype.type(1), c.dtype.type(beta)
    if a.itemsize == 4:  # float32 (a kernel takes one dtype, float32 or float64)
        _cblas_sgemm(ROW_MAJOR, ta, tb, M, N, K, one, a.ctypes.data, lda, b.ctypes.data, ldb, keep, c.ctypes.data,
                     ldc)  # (M, K) @ (K, N) -> c (M, N)
    else:
        _cblas_dgemm(ROW_MAJOR, ta, tb, M, N, K, one, a.ctypes.data, lda, b.ctypes.data, ldb, keep, c.ctypes.data,
                     ldc)


@njit(cache=True)
def _gemm_into_mkl(a, b, c):
    _gemm_mkl(a, b, c, 0)


@njit(cache=True)
def _gemm_add_into_mkl(a, b, c):
    _gemm_mkl(a, b, c, 1)


@njit(cache=True)
def _gemm_into_openblas(a, b, c):
    np.dot(a, b, c)  # (M, K) @ (K, N) -> c (M, N)


@njit(cache=True)
def _gemm_add_into_openblas(a, b, c):
    c += np.dot(a, b)


gemm_into = _gemm_into_mkl if BLAS == "mkl" else _gemm_into_openblas  # c = a @ b
gemm_add_into = _gemm_add_into_mkl if BLAS == "mkl" else _gemm_add_into_openblas  # c += a @ b
# MKL reads and writes matrices whose rows are strided (lda, ldc); Numba's np.dot (OpenBLAS) wants them contiguous
STRIDED_OPERANDS = BLAS == "mkl"
