"""minigan's low-level kernels: forward and backward passes, losses and optimizer updates.

``kernels.cpu`` holds the Numba ``@njit`` kernels; ``kernels.cuda`` the same names and
signatures in ``numba.cuda``. This package never imports ``minigan``.
"""

import os

# Numba's parallel kernels run on OpenMP threads, BLAS on its own pthreads. OpenMP's
# default is to spin after each parallel loop, which starves the BLAS threads that run
# next: measured 254 ms against 22 ms per training step on 2 cores. PASSIVE makes idle
# OpenMP threads sleep. Read once, when the OpenMP runtime starts, hence here.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

