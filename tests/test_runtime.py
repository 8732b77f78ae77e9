"""minigan/runtime.py: the process settings the CLI and the benchmarks apply."""

import json
import platform

import pytest

from kernels import OPENMP_IDLE

def run_python(code, drop=(), **env):
    """code in a fresh interpreter, with OpenMP's idle settings and the variables in drop unset, env set."""
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if k not in (*OPENMP_IDLE, *drop)}, **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.skipif(platform.system() != "Linux", reason="the check reads /proc/self/maps")
def test_importing_torch_first_is_warned_about():
    """PyTorch loads libgomp with spinning idle threads when imported first; minigan's step is
    then several times slower, so importing the kernels after it warns, and only then."""
    late = run_python("import torch; import kernels")
    assert late.returncode == 0 and "Import minigan before torch" in late.stderr
    early = run_python("import kernels; import torch")
    assert early.returncode == 0 and "OpenMP" not in early.stderr
    chosen = run_python("import torch; import kernels", OMP_WAIT_POLICY="PASSIVE")
    assert chosen.returncode == 0 and "OpenMP" not in chosen.stderr



POOLS = """
import json, os
from minigan.runtime import own_cores, thread_count
report = own_cores(thread_count())  # first thing: nothing has imported the kernels yet
from kernels import OPENMP_IDLE
report["policy"] = {name: os.environ.get(name) for name in OPENMP_IDLE}
report["openmp_loaded"] = any("libgomp" in line for line in open("/proc/self/maps"))
try:
    own_cores(os.cpu_count() + 1)
except ValueError as err:
    report["too_many"] = str(err)
print(json.dumps(report))
"""


def pools_of(**env):
    """own_cores in a fresh process, with no pool variable set but those in env."""
    from minigan.runtime import POOL_VARIABLES

    done = run_python(POOLS, drop=POOL_VARIABLES, **env)
    assert done.returncode == 0, done.stderr
    assert "OpenMP runtime was loaded before" not in done.stderr, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(platform.system() != "Linux", reason="the check reads /proc/self/maps")
@pytest.mark.parametrize("blas", ["mkl", "openblas"])
def test_one_count_sizes_every_pool(blas):
    """The issue's collapse: a run that pinned Numba alone still had BLAS pools the size of the
    machine. Now one number sizes Numba's pool and the GEMMs' BLAS (MKL, or SciPy's OpenBLAS);
    beside MKL both OpenBLAS copies (SciPy's and NumPy's) get one thread, so no idle OpenBLAS
    worker spins while MKL works. Unpinned, the pools take the cores. own_cores called before
    the kernels are imported still starts OpenMP (MKL's) with sleeping idle threads (it reads
    its policy once; a spinning pool made the step 3x slower beside a busy loop, docs/speed.md)."""
    import os

    gemm_library = "libmkl_rt" if blas == "mkl" else "scipy_openblas-"  # SciPy's OpenBLAS: behind np.dot
    pinned = pools_of(NUMBA_NUM_THREADS="1", MINIGAN_BLAS=blas)
    assert pinned["numba"] == 1 and len(pinned["blas"]) == (3 if blas == "mkl" else 2), pinned
    assert all(n == 1 for _, n in pinned["blas"]), pinned
    assert any(gemm_library in path for path, _ in pinned["blas"]), pinned
    assert "ask for at most 1, or raise NUMBA_NUM_THREADS" in pinned["too_many"]
    free = pools_of(MINIGAN_BLAS=blas)
    cores = os.cpu_count()
    assert free["numba"] == cores, free
    for path, n in free["blas"]:
        assert n == (1 if blas == "mkl" and "openblas" in path else cores), free
    assert free["policy"] == OPENMP_IDLE  # set before own_cores loads the runtime
    assert free["openmp_loaded"] == (blas == "mkl")  # MKL's threads are OpenMP's; Numba's are TBB's where it is installed


TBB = """
import json, numba, numpy as np
import kernels
from kernels.wheels import wheel_library
path = wheel_library("tbb", "libtbb.so.12")
loaded = any(path and line.rstrip().endswith(path) for line in open("/proc/self/maps"))

@numba.njit(parallel=True)
def total(x):
    s = 0.0
    for i in numba.prange(x.size):
        s += x[i]
    return s

total(np.ones(4))  # starts Numba's threads
print(json.dumps({"path": path, "loaded": loaded, "layer": numba.threading_layer()}))
"""


@pytest.mark.skipif(platform.system() != "Linux", reason="the check reads /proc/self/maps")
def test_numba_runs_on_the_tbb_wheel():
    """Numba's threads are TBB's beside MKL (docs/speed.md). The tbb wheel that mkl brings puts
    libtbb in the environment's lib/, which in a virtual environment no loader path names:
    Numba fell back to OpenMP there. Importing the kernels loads the wheel's libtbb first."""
    done = run_python(TBB, drop=("NUMBA_THREADING_LAYER",))
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["path"] is not None, "the tbb wheel is not installed: pip install mkl (it brings tbb)"
    assert found["loaded"] and found["layer"] == "tbb", found


def test_the_thread_count_comes_from_the_flag_else_the_smallest_pinned_pool(monkeypatch):
    import os

    from minigan.runtime import POOL_VARIABLES, thread_count

    for name in POOL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert thread_count() == os.cpu_count() and thread_count(processes_here=os.cpu_count() * 2) == 1
    for name in POOL_VARIABLES:
        monkeypatch.setenv(name, "1")
        assert thread_count() == 1 and thread_count(3) == 3
        monkeypatch.delenv(name)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert thread_count() == 2
    with pytest.raises(ValueError, match="--threads must be at least 1"):
        thread_count(0)
    monkeypatch.setenv("OMP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS='two' is not a thread count"):
        thread_count()
