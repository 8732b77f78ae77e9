"""minigan's low-level kernels: forward and backward passes, losses and optimizer updates.

Three engines export one contract (kernels/contract.py, docs/contract.md): ``kernels.reference``,
the readable loops; ``kernels.cpu``, the fast Numba ``@njit`` and BLAS engine; ``kernels.cuda``,
the same on NVIDIA GPUs. This package never imports ``minigan``.
"""

from kernels.openmp_idle import OPENMP_IDLE  # noqa: F401  (sets the OpenMP idle policy before any runtime loads)
from kernels.wheels import load_tbb

# Numba's parallel kernels run on TBB beside MKL's OpenMP threads, no slower than on OpenMP
# idle or under load (docs/speed.md, "Numba's threads beside MKL"). Numba picks its threading
# layer when it first starts its threads, after this.
load_tbb()
