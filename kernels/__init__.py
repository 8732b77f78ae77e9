"""minigan's low-level kernels: forward and backward passes, losses and optimizer updates.

Three engines export one contract (kernels/contract.py, docs/contract.md): ``kernels.reference``,
the readable loops; ``kernels.cpu``, the fast Numba ``@njit`` and BLAS engine; ``kernels.cuda``,
the same on NVIDIA GPUs. This package never imports ``minigan``.
"""

from kernels.openmp_idle import OPENMP_IDLE  # noqa: F401  (sets the OpenMP idle policy before any runtime loads)
