"""minigan/runtime.py: the process settings the CLI and the benchmarks apply."""

import platform

import pytest

from minigan.runtime import keep_freed_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's; elsewhere nothing is set")
def test_keep_freed_memory_is_applied_on_glibc():
    assert keep_freed_memory() is True


def run_python(code, **env):
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}, **env}
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
import json, sys
from minigan.runtime import own_cores, thread_count
print(json.dumps(own_cores(thread_count(None if len(sys.argv) < 2 else int(sys.argv[1])))))
"""


def pools_of(*args, **env):
    import json
    import os
    import subprocess
    import sys

    env = {**{k: v for k, v in os.environ.items() if k not in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS",
                                                             "OPENBLAS_NUM_THREADS")}, **env}
    done = subprocess.run([sys.executable, "-c", POOLS, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_pinning_one_pool_pins_every_pool():
    """The issue's collapse: a run that pinned Numba alone still had BLAS pools the size of the
    machine. Now one number sizes Numba's pool and both OpenBLAS copies (SciPy's, behind the
    GEMMs, and NumPy's)."""
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        pools = pools_of(**{var: "1"})
        assert pools["numba"] == 1 and len(pools["blas"]) == 2, (var, pools)
        assert all(n == 1 for _, n in pools["blas"]), (var, pools)
        assert any("scipy_openblas-" in name for name, _ in pools["blas"])  # SciPy's: minigan's GEMMs


def test_threads_asked_for_size_every_pool_and_bad_counts_are_refused(monkeypatch):
    import os

    from minigan.runtime import thread_count

    pools = pools_of(1)
    assert pools["numba"] == 1 and all(n == 1 for _, n in pools["blas"])
    if (os.cpu_count() or 1) >= 2:
        pools = pools_of()
        assert pools["numba"] == os.cpu_count() and all(n == os.cpu_count() for _, n in pools["blas"])
    with pytest.raises(ValueError, match="--threads must be at least 1"):
        thread_count(0)
    monkeypatch.setenv("OMP_NUM_THREADS", "two")
    with pytest.raises(ValueError, match="OMP_NUM_THREADS='two' is not a thread count"):
        thread_count()
    too_many = run_python("from minigan.runtime import own_cores; own_cores(8)", NUMBA_NUM_THREADS="1")
    assert too_many.returncode != 0 and "ask for at most 1, or raise NUMBA_NUM_THREADS" in too_many.stderr


def test_owning_the_cores_first_still_starts_openmp_with_sleeping_threads():
    """numba.set_num_threads starts Numba's OpenMP runtime, which reads its idle policy once:
    own_cores called before anything imported the kernels must still start it PASSIVE (a
    spinning pool made the step 3x slower beside a busy loop, docs/speed.md)."""
    code = ("import os; from minigan.runtime import own_cores; own_cores(1); "
            "print(os.environ.get('OMP_WAIT_POLICY'), any('libgomp' in l for l in open('/proc/self/maps')))")
    done = run_python(code)
    assert done.returncode == 0 and "OpenMP runtime was loaded before" not in done.stderr, done.stderr
    assert done.stdout.split() == ["PASSIVE", "True"]
