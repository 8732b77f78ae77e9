"""The process-wide setting that keeps training steps fast; the entry points (CLI, examples,
benchmarks) call it.

Why own_cores: a minigan process has three thread pools, each sized to the machine by
default: Numba's (its ``prange`` kernels: im2col, the epilogues, Adam), SciPy's OpenBLAS
(the GEMMs: Numba's ``np.dot`` calls it) and NumPy's OpenBLAS. They take turns, never run
at once; but a user who pins Numba's pool to share the machine with a second run would
keep BLAS's at every core, and a threaded call whose second thread waits for a core the
other run holds waits with it, call after call (docs/speed.md, "Beside other work"). So
one number sizes them all: pinning any one of them in the environment pins every one.

(Memory needs no setting: the layers own their buffers, so a steady step allocates nothing
for the C library to hand back to the kernel; kernels/workspace.py.)
"""

import os

POOL_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def thread_count(asked=None, processes_here=1):
    """The one thread count of this process: `asked` (--threads); else the smallest pool size
    set in the environment (NUMBA_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS); else
    this machine's cores shared among the `processes_here` (MPI ranks on this machine)."""
    if asked is not None:
        if asked < 1:
            raise ValueError(f"--threads must be at least 1, got {asked}")
        return asked
    pinned = []
    for name in POOL_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"{name}={value!r} is not a thread count: set it to a positive integer, or unset it")
            pinned.append(int(value))
    if pinned:
        return min(pinned)
    return max(1, (os.cpu_count() or 1) // processes_here)


def own_cores(threads):
    """Size every pool of this process to `threads`: Numba's and each BLAS library's (SciPy's,
    loaded here so that the limit reaches it before the first GEMM, and NumPy's).
    -> {'numba': n, 'blas': [(library path, n), ...]}, as threadpoolctl reads them back."""
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  (loads the OpenBLAS that Numba's np.dot calls)
    from threadpoolctl import threadpool_info, threadpool_limits

    import kernels  # noqa: F401  (sets OpenMP's idle policy to PASSIVE: set_num_threads below starts the runtime)

    most = numba.config.NUMBA_NUM_THREADS  # Numba's pool is sized once, when it starts
    if threads > most:
        raise ValueError(f"{threads} threads asked for, but Numba's pool has {most} (NUMBA_NUM_THREADS={most} in the "
                         f"environment, or this machine's cores): ask for at most {most}, or raise NUMBA_NUM_THREADS")
    numba.set_num_threads(threads)
    threadpool_limits(threads, user_api="blas")
    blas = [(p["filepath"], p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]
    return {"numba": numba.get_num_threads(), "blas": blas}
