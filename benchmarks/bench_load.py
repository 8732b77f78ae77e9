"""The training step on a busy machine: idle, then beside a competing process that this file
starts itself: a pure-Python loop (one core's worth of work that shares nothing), or a second
minigan run at one thread (what a user training two seeds does).

Each competitor ends by itself after MINIGAN_BENCH_LOAD_SECONDS (a deadline inside it), with
pytest if pytest dies first (Linux's parent-death signal), and is killed, group and all, when
its cases are done. The step is timed for up to MINIGAN_BENCH_LOAD_STEPS rounds (a hundred or
more, fewer than all when the step is slow); each case records its p99 beside pytest-benchmark's
median, and benchmarks/report.py tables the loaded medians against idle and the p99s against
their medians. PyTorch runs in the suite's second process (-k torch) under the same loads.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kernels.cpu as K
from kernels import OPENMP_IDLE
from benchmarks.bench_step import batch_data, step_flops
from benchmarks.conftest import need
from minigan.gan import GAN
from minigan.recipes import RECIPES
from minigan.runtime import follow_load

SECONDS = int(os.environ.get("MINIGAN_BENCH_LOAD_SECONDS", "300"))
STEPS = int(os.environ.get("MINIGAN_BENCH_LOAD_STEPS", "300"))  # at most; at least a third of it
BUDGET_SECONDS = 20  # per case: a step slowed 20x beside a competitor still ends in about a minute
WARM_SECONDS = float(os.environ.get("MINIGAN_BENCH_LOAD_WARM", "6"))  # a competitor's start (imports, Numba's cache)

# in the competitor's command line, so that a test can look for one left behind
MARKER = os.environ.get("MINIGAN_BENCH_LOAD_MARKER", "minigan-bench-load-competitor")
DIE_WITH_PARENT = f"# {MARKER}\nimport ctypes; ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: ends with pytest\n"
BUSY_LOOP = DIE_WITH_PARENT + f"""
import time
end = time.monotonic() + {SECONDS}
while time.monotonic() < end:
    pass
"""
MINIGAN_RUN = DIE_WITH_PARENT + f"""
import signal
signal.alarm({SECONDS})  # SIGALRM ends the process: the deadline
from minigan.cli import main
main(["bench", "--steps", "100000000", "--threads", "1"])
"""
LOADS = {"idle": None, "python-loop": BUSY_LOOP, "minigan-1-thread": MINIGAN_RUN}
ENGINES = ["minigan", "torch"]


@contextlib.contextmanager
def competitor(name):
    """The competing process `name` of LOADS running and warm for the with-block (nothing for
    "idle"), killed, group and all, when it ends."""
    code = LOADS[name]
    if code is None:
        yield
        return
    env = {k: v for k, v in os.environ.items() if k not in ("MINIGAN_BENCH_OMP", *OPENMP_IDLE)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(WARM_SECONDS)
    if proc.poll() is not None:
        raise RuntimeError(f"the competing process ({name}) ended before the timing began, code {proc.returncode}")
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module", params=list(LOADS))
def load(request):
    """The competing process for this group of cases (competitor), running and warm."""
    with competitor(request.param):
        yield request.param


@pytest.mark.parametrize("engine", ENGINES)
def test_train_step_under_load(benchmark, load, engine):
    real, z = batch_data(32)
    minigan_gan = GAN(RECIPES["documented"], np.random.default_rng(0), K)
    if engine == "torch":
        need("torch", "PyTorch is not installed: pip install torch==2.13.0")
        from benchmarks.torch_twin import TwinGAN

        gan = TwinGAN.from_recipe(minigan_gan.state(), RECIPES["documented"])  # the same weights
    else:
        gan = minigan_gan
    for _ in range(3):  # compile, warm up
        gan.train_step(real, z)
    start = time.perf_counter()
    gan.train_step(real, z)
    rounds = int(min(STEPS, max(BUDGET_SECONDS / (time.perf_counter() - start), STEPS // 3)))
    benchmark.group = "train step b32 under load"
    benchmark.extra_info.update(engine=engine, flops=step_flops(32), case=f"train step, {load}", batch=32, load=load)
    step = gan.train_step if engine == "torch" else lambda real, z: (follow_load(), gan.train_step(real, z))
    benchmark.pedantic(step, args=(real, z), rounds=rounds, iterations=1, warmup_rounds=0)
    benchmark.extra_info["p99"] = float(np.percentile(benchmark.stats.stats.data, 99))


def owner_kernels():
    """{name: (owner, call)}: one kernel of each owner in the table of docs/speed.md ("Who owns
    the cores"), at D's conv2 / conv3 shapes of the D step (batch 32, so 64 rows), on a
    workspace as in the step."""
    from kernels.conv_geometry import conv_geometry
    from kernels.cpu.epilogue import activation_backward_and_bias_grad
    from kernels.cpu.gemm import BLAS_NAME, gemm_into
    from kernels.cpu.im2col import im2col
    from kernels.specs import Activation, AdamSpec

    rng = np.random.default_rng(0)
    a = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    cols, w2, h = a(576, 1152), a(1152, 256), np.empty((576, 256), np.float32)
    x2, g2 = a(64, 9, 9, 128), conv_geometry("owner", (64, 9, 9, 128), (3, 3, 128, 256), 3, "valid")
    dy, y, ws, relu = a(5184, 128), np.abs(a(5184, 128)), K.Workspace(), Activation("relu")
    adam = AdamSpec(2e-4, 0.5, 0.999, 1e-8)
    p, grad, m, v = a(3, 3, 256, 512), a(3, 3, 256, 512), np.zeros((3, 3, 256, 512), np.float32), np.ones((3, 3, 256, 512), np.float32)
    return {
        "conv2 GEMM 576x1152x256": (BLAS_NAME, lambda: gemm_into(cols, w2, h)),
        "conv2 im2col (64, 9, 9, 128)": ("Numba, serial below 1.5 M units of work", lambda: im2col(x2, g2, ws)),
        "conv1 epilogue backward (5184, 128)": ("Numba, serial below 1 M elements",
                                                lambda: activation_backward_and_bias_grad(dy, y, relu, np.float32(1), ws)),
        "Adam over conv3's 1.18 M weights": ("Numba by_size", lambda: K.adam_update(p, grad, m, v, 3, adam)),
    }


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kernel", list(owner_kernels()))
def test_kernel_owner_under_load(benchmark, load, kernel, threads):
    """One kernel per owner at 1 and 2 threads (every pool at that count: minigan/runtime.py),
    beside each competitor: which thread count wins each op, idle and loaded."""
    from benchmarks.conftest import THREADS
    from minigan.runtime import own_cores

    owner, call = owner_kernels()[kernel]
    own_cores(threads)
    try:
        for _ in range(3):
            call()
        start = time.perf_counter()
        call()
        rounds = int(min(STEPS, max(BUDGET_SECONDS / 4 / max(time.perf_counter() - start, 1e-6), STEPS // 3)))
        benchmark.group = f"owner: {kernel}"
        benchmark.extra_info.update(engine="minigan", flops=0, case=f"owner: {kernel}", batch=0, load=load,
                                    owner=owner, kernel=kernel, threads=threads)
        benchmark.pedantic(call, rounds=rounds, iterations=1, warmup_rounds=0)
    finally:
        own_cores(THREADS)
