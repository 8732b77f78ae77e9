"""minigan's low-level kernels: forward and backward passes, losses and optimizer updates.

``kernels.cpu`` holds the Numba ``@njit`` kernels; ``kernels.cuda`` the same names and
signatures in ``numba.cuda``. This package never imports ``minigan``.
"""

import os
import warnings

from kernels.wheels import load_tbb

# MKL's GEMMs run on OpenMP threads (kernels/cpu/gemm.py), as do Numba's parallel kernels
# where TBB is not installed. OpenMP's default is to spin after each parallel loop, which
# starves the threads that run next, several-fold on 2 cores. PASSIVE makes idle OpenMP
# threads sleep; a sleeping thread, though, takes a wake-up (a futex, on a VM an interrupt
# between virtual CPUs) at every one of the step's 30 GEMMs, so libgomp's threads first spin
# for a short count (GOMP_SPINCOUNT: a fraction of a millisecond) and then sleep: the step keeps
# its threads hot between one GEMM and the next, and a process that stops frees the cores soon
# (docs/speed.md, "Figures behind the code"). Read once, when the OpenMP runtime loads, hence here.
OPENMP_IDLE = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "20000"}


def _openmp_runtime_loaded():
    """Is libgomp already in this process (PyTorch loads it on import)? Linux only; else False."""
    try:
        with open("/proc/self/maps") as maps:
            return any("libgomp" in line for line in maps)
    except OSError:
        return False


if "OMP_WAIT_POLICY" not in os.environ and _openmp_runtime_loaded():
    warnings.warn("the OpenMP runtime was loaded before minigan's kernels (by `import torch`, say) and runs "
                  "with spinning idle threads, which slows minigan's training step several-fold (docs/speed.md). "
                  "Import minigan before torch, or set OMP_WAIT_POLICY=PASSIVE in "
                  "the environment.", RuntimeWarning, stacklevel=2)
for _name, _value in OPENMP_IDLE.items():
    os.environ.setdefault(_name, _value)


# Numba's parallel kernels run on TBB beside MKL's OpenMP threads, no slower than on OpenMP
# idle or under load (docs/speed.md, "Numba's threads beside MKL"). Numba picks its threading
# layer when it first starts its threads, after this.
load_tbb()
