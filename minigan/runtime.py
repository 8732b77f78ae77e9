"""The process-wide setting that keeps training steps fast; the entry points (CLI, examples,
benchmarks) call it.

Why own_cores: a minigan process has three thread pools, each sized to the machine by
default: Numba's (its ``prange`` kernels: im2col, the epilogues, Adam), the GEMMs' BLAS
(kernels/cpu/gemm.py: MKL where it is installed, else SciPy's OpenBLAS) and NumPy's
OpenBLAS. They take turns, never run at once; but a user who pins Numba's pool to share the
machine with a second run would
keep BLAS's at every core, and a threaded call whose second thread waits for a core the
other run holds waits with it, call after call (docs/speed.md, "Beside other work"). So
one number sizes them all: pinning any one of them in the environment pins every one.

Why follow_load: a threaded call waits for its last thread, and beside a busy process that
thread waits for a core, call after call: two threads on two cores beside one competitor ran
the step several-fold, one thread moved it little (docs/speed.md). So while
other processes keep cores busy, the step runs on the cores left. The thread count changes no
result where MKL runs the GEMMs (its strict reproducibility mode; Numba's threaded loops split
work, never a sum): there the count follows the load. OpenBLAS's products change in their last
bits with its thread count, so with OpenBLAS the count stays where own_cores set it.

(Memory needs no setting: the layers own their buffers, so a steady step allocates nothing
for the C library to hand back to the kernel; kernels/workspace.py.)
"""

import os
import time

POOL_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_count(asked=None, processes_here=1):
    """The one thread count of this process: `asked` (--threads); else the smallest pool size
    set in the environment (POOL_VARIABLES); else
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
    """Size every pool of this process to `threads`: Numba's and the BLAS that runs the GEMMs
    (kernels/cpu/gemm.py: MKL, on libgomp's threads, or SciPy's OpenBLAS, loaded here
    so that the limit reaches it before the first GEMM). Where MKL runs the GEMMs, both
    OpenBLAS copies (SciPy's and NumPy's, which then run nothing of the step) get one
    thread, so that no idle OpenBLAS worker spins beside MKL's. `threads` is also the
    most that follow_load gives the step.
    -> {'numba': n, 'blas': [(library path, n), ...]}, as threadpoolctl reads them back."""
    global _follower
    import numba
    import scipy.linalg.cython_blas  # noqa: F401  (loads the OpenBLAS that Numba's np.dot calls)
    from threadpoolctl import ThreadpoolController

    import kernels  # noqa: F401  (sets OpenMP's idle policy to PASSIVE: set_num_threads below starts the runtime)
    from kernels.cpu.gemm import BLAS

    most = numba.config.NUMBA_NUM_THREADS  # Numba's pool is sized once, when it starts
    if threads > most:
        raise ValueError(f"{threads} threads asked for, but Numba's pool has {most} (NUMBA_NUM_THREADS={most} in the "
                         f"environment, or this machine's cores): ask for at most {most}, or raise NUMBA_NUM_THREADS")
    blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]
    gemms = [lib for lib in blas if lib.internal_api == BLAS]
    for lib in blas:
        lib.set_num_threads(threads if lib in gemms else 1)
    numba.set_num_threads(threads)
    _follower = LoadFollower(threads, gemms) if BLAS == "mkl" and threads > 1 else None
    return {"numba": numba.get_num_threads(), "blas": [(lib.filepath, lib.get_num_threads()) for lib in blas]}


def threads_beside(others, most, cores):
    """The step's thread count while other processes keep `others` cores busy (a float, from
    /proc/stat): the cores they leave, at least 1 and at most `most`."""
    return max(1, min(most, cores - round(others)))


def busy_seconds():
    """CPU seconds every core of this machine has spent busy since boot (/proc/stat's first
    line: user, nice, system, irq, softirq; idle, iowait and the hypervisor's steal left out),
    or None where there is no /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class LoadFollower:
    """Every `interval` seconds, the CPU time other processes took (the machine's busy time
    less this process's) sets the thread count of Numba's pool and of the GEMMs' BLAS for the
    steps that follow (threads_beside)."""

    def __init__(self, most, gemms, interval=0.25, cores=None):
        self.most, self.gemms, self.interval = most, gemms, interval
        self.cores = cores or len(os.sched_getaffinity(0))
        self.threads = most
        self.last = self.reading()

    @staticmethod
    def reading(now=None):
        """(when, the machine's busy CPU seconds or None, this process's CPU seconds)."""
        own = os.times()
        return time.monotonic() if now is None else now, busy_seconds(), own.user + own.system

    def poll(self):
        now = time.monotonic()
        if now - self.last[0] < self.interval:
            return self.threads
        reading = self.reading(now)
        (t0, busy0, own0), (t1, busy1, own1) = self.last, reading
        self.last = reading
        if busy0 is None or busy1 is None:
            return self.threads
        others = max(0.0, (busy1 - busy0) - (own1 - own0)) / (t1 - t0)
        threads = threads_beside(others, self.most, self.cores)
        if threads != self.threads:
            import numba

            numba.set_num_threads(threads)
            for lib in self.gemms:
                lib.set_num_threads(threads)
            self.threads = threads
        return threads


_follower = None


def follow_load():
    """Once a step, before it: the thread count for this step (own_cores' count, or fewer while
    other processes keep cores busy; unchanged where OpenBLAS runs the GEMMs or own_cores was
    not called). Reads /proc/stat four times a second at most."""
    return _follower.poll() if _follower is not None else None
