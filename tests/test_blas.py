"""kernels/cpu/gemm.py and minigan/runtime.py's follow_load: the GEMM through MKL or OpenBLAS,
MKL's bits at any thread count (what lets the count follow the load), and the follower."""

import os
import platform
import subprocess
import sys
import time

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from benchmarks.gemm_floor import step_gemms
from kernels.cpu import gemm
from minigan.bench import gan_with_batch
from minigan.runtime import POOL_VARIABLES, LoadFollower, follow_load, own_cores, threads_beside

import kernels.cpu as K

X86_LINUX = platform.machine() == "x86_64" and platform.system() == "Linux"


def test_mkl_runs_the_gemms_where_it_is_installed():
    """setup.cfg installs mkl on x86-64 Linux; there it must be the GEMMs' BLAS (unless chosen away)."""
    if not X86_LINUX:
        assert gemm.BLAS == "openblas"
        return
    expected = "openblas" if os.environ.get("MINIGAN_BLAS", "").lower() == "openblas" else "mkl"
    assert gemm.BLAS == expected, "pip install mkl (setup.cfg's install_requires has it on x86-64 Linux)"


def layouts(a):
    """a (R, C) as C-ordered, F-ordered, a transposed view of a C-ordered copy, and every other column of a wider one."""
    wide = np.zeros((a.shape[0], 2 * a.shape[1]), a.dtype)
    wide[:, ::2] = a
    return {"C": a, "F": np.asfortranarray(a), "view of transpose": np.ascontiguousarray(a.T).T, "strided": wide[:, ::2]}


@pytest.mark.parametrize("blas", ["mkl", "openblas"] if X86_LINUX else ["openblas"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5, 7, 3), (1, 7, 3), (5, 1, 3), (5, 7, 1), (1, 1, 1), (4, 0, 3), (0, 4, 3)])
def test_gemm_into_is_the_product_for_every_layout(blas, dtype, shape):
    M, Kd, N = shape
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((M, Kd)).astype(dtype), rng.standard_normal((Kd, N)).astype(dtype)
    product = gemm._gemm_into_mkl if blas == "mkl" else gemm._gemm_into_openblas
    expected = a.astype(np.float64) @ b.astype(np.float64)
    for name_a, a_in in layouts(a).items():
        for name_b, b_in in layouts(b).items():
            c = np.full((M, N), np.nan, dtype)
            product(a_in, b_in, c)
            assert c.dtype == dtype
            np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5, err_msg=f"a {name_a}, b {name_b}")


@pytest.mark.skipif(not X86_LINUX, reason="MKL is installed on x86-64 Linux only")
@pytest.mark.parametrize("batch", [32, 256])
def test_mkl_products_are_bitwise_the_same_at_one_and_two_threads(batch):
    """MKL_CBWR=AUTO,STRICT: each of the step's 30 products has the same bits whatever the
    thread count. (Without STRICT, 8 of the 60 differed at 1 and 2 threads: docs/speed.md.)"""
    rng = np.random.default_rng(batch)
    for what, kind, a_shape, b_shape in step_gemms(batch):
        a, b = rng.standard_normal(a_shape).astype(np.float32), rng.standard_normal(b_shape).astype(np.float32)
        a_in, b_in = (a.T, b) if kind == "a.T@b" else (a, b.T) if kind == "a@b.T" else (a, b)  # views, as the kernels pass
        out = {}
        for threads in (1, 2):
            with threadpool_limits(threads, user_api="blas"):
                c = np.empty((a_in.shape[0], b_in.shape[1]), np.float32)
                gemm._gemm_into_mkl(a_in, b_in, c)
                out[threads] = c
        assert np.array_equal(out[1], out[2]), what


@pytest.mark.skipif(not X86_LINUX, reason="MKL is installed on x86-64 Linux only")
def test_training_steps_are_bitwise_the_same_at_one_and_two_threads():
    """With MKL, Numba's threaded loops and the GEMMs give the same bits at any thread count,
    so follow_load can move the count mid-run: three steps of the default recipe, at 1 and at 2."""
    assert gemm.BLAS == "mkl"
    states = []
    try:
        for threads in (1, 2):
            own_cores(threads)
            gan, real, z = gan_with_batch(32, K, "default")
            losses = [gan.train_step(real, z) for _ in range(3)]
            states.append((losses, gan.state()))
    finally:
        own_cores(min(2, numba.config.NUMBA_NUM_THREADS))
    (losses1, state1), (losses2, state2) = states
    assert losses1 == losses2
    assert all(np.array_equal(state1[k], state2[k]) for k in state1), [k for k in state1
                                                                        if not np.array_equal(state1[k], state2[k])]


def test_threads_beside_leaves_the_others_their_cores():
    assert threads_beside(0.0, 2, 2) == 2 and threads_beside(0.3, 2, 2) == 2
    assert threads_beside(0.7, 2, 2) == 1 and threads_beside(1.0, 2, 2) == 1 and threads_beside(3.0, 2, 2) == 1
    assert threads_beside(1.0, 4, 8) == 4 and threads_beside(5.2, 4, 8) == 3 and threads_beside(0.0, 1, 8) == 1


class FakeLibrary:
    def __init__(self):
        self.counts = []

    def set_num_threads(self, n):
        self.counts.append(n)


def test_the_follower_sets_the_count_from_the_cpu_time_others_took(monkeypatch):
    """Readings (seconds, machine busy seconds, this process's CPU seconds): others took what
    the machine's busy time gained beyond this process's own."""
    machine = iter([(10.0, 1.0),    # at start
                    (11.9, 2.0),    # 1 s on: others took 0.9 cores -> 1 thread
                    (14.0, 4.0)])   # 1 s on: others 0.1 -> 2 threads; none left: no reading after
    monkeypatch.setattr(LoadFollower, "reading",
                        staticmethod(lambda now=None: (0.0 if now is None else now, *next(machine))))
    clock = iter([1.0, 2.0, 2.1])  # one clock read a poll
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    library = FakeLibrary()
    follower = LoadFollower(2, [library], interval=0.25, cores=2)
    set_counts = []
    monkeypatch.setattr(numba, "set_num_threads", set_counts.append)
    assert follower.poll() == 1 and follower.poll() == 2
    assert follower.poll() == 2  # 0.1 s after the last reading: the count stands
    assert library.counts == [1, 2] and set_counts == [1, 2]


FOLLOW = """
import json, subprocess, sys, time
from minigan.runtime import follow_load, own_cores
own_cores(2)
def count_after(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
        n = follow_load()
    return n
counts = {"idle": count_after(1.0)}
busy = subprocess.Popen([sys.executable, "-c", "import time\\nend = time.monotonic() + 20\\nwhile time.monotonic() < end: pass"])
counts["beside a busy loop"] = count_after(1.5)
busy.kill(); busy.wait()
counts["after it"] = count_after(1.5)
print(json.dumps(counts))
"""


@pytest.mark.skipif(not X86_LINUX or os.cpu_count() < 2, reason="MKL (x86-64 Linux) and two cores to share")
def test_the_count_follows_a_busy_process_and_comes_back():
    import json

    done = subprocess.run([sys.executable, "-c", FOLLOW], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k not in POOL_VARIABLES})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"idle": 2, "beside a busy loop": 1, "after it": 2}


def test_follow_load_without_own_cores_changes_nothing():
    import minigan.runtime as runtime

    saved, runtime._follower = runtime._follower, None
    try:
        assert follow_load() is None
    finally:
        runtime._follower = saved


@pytest.mark.parametrize("env, message", [
    ({"MINIGAN_BLAS": "atlas"}, "MINIGAN_BLAS='atlas': set it to 'mkl' or 'openblas'"),
    ({"MKL_CBWR": "COMPATIBLE"}, "MKL_CBWR='COMPATIBLE' in the environment, but minigan runs MKL with MKL_CBWR=AUTO,STRICT"),
])
def test_a_wrong_blas_setting_is_named_with_its_fix(env, message):
    if "MKL_CBWR" in env and not X86_LINUX:
        pytest.skip("MKL is installed on x86-64 Linux only")
    done = subprocess.run([sys.executable, "-c", "import kernels.cpu"], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert done.returncode != 0 and message in done.stderr, done.stderr
