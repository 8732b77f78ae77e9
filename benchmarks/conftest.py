"""Shared set-up for the benchmark suite: equal thread counts, each engine's OpenMP policy, and
what ran, printed.

Run (two processes, one per OpenMP policy; see below):
    python -m pytest benchmarks --benchmark-enable -k "not torch and not tf" --benchmark-json=bench.json
    MINIGAN_BENCH_OMP=default python -m pytest benchmarks --benchmark-enable -k torch --benchmark-json=bench-torch.json
    python -m pytest benchmarks --benchmark-enable -k tf --benchmark-json=bench-tf.json
Then: python benchmarks/report.py bench.json bench-torch.json bench-tf.json --out docs/benchmarks
"""

import os
import platform
import warnings

# One OpenMP runtime (the system's libgomp) serves Numba's parallel kernels and PyTorch's
# intra-op pool, and it reads OMP_WAIT_POLICY once, when it loads. minigan wants idle threads
# asleep after a short spin (PASSIVE and GOMP_SPINCOUNT, set by kernels/__init__.py): they
# would otherwise spin on the cores its kernels need next. PyTorch is fastest under libgomp's
# default (spin a while, then sleep).
# So each engine is timed under its own best policy, in its own process (the figures:
# docs/speed.md, Figures behind the code): MINIGAN_BENCH_OMP=default loads PyTorch (and with
# it libgomp) before anything sets the policy; otherwise every engine here runs minigan's.
# TensorFlow has pools of its own (pinned to THREADS by tensorflow() below) and runs in a
# process of its own too (-k tf), so that nothing it leaves behind touches the others.
OMP_MODE = os.environ.get("MINIGAN_BENCH_OMP", "passive")
if OMP_MODE == "default":
    # kernels.OPENMP_IDLE's names: importing kernels here would set them before torch loads libgomp
    chosen = [name for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if name in os.environ]
    if chosen:
        raise RuntimeError(f"MINIGAN_BENCH_OMP=default times libgomp's default policy: unset {' and '.join(chosen)}")
    try:
        import torch  # noqa: F401  (loads libgomp now, with the policy unset)
    except ImportError:
        pass
    # on purpose here: kernels/__init__.py warns that minigan would run slowly in this process
    warnings.filterwarnings("ignore", message="the OpenMP runtime was loaded before", category=RuntimeWarning)
    OMP_POLICY = "libgomp default (spin, then sleep)"
elif OMP_MODE == "passive":
    import kernels  # noqa: F401  (sets PASSIVE and libgomp's short spin before the runtime loads)

    OMP_POLICY = f"{os.environ['OMP_WAIT_POLICY']}, GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT', 'unset')}"
else:
    raise RuntimeError(f"MINIGAN_BENCH_OMP must be 'passive' or 'default', got {OMP_MODE!r}")

import numba
import numpy as np
import pytest

from minigan.runtime import own_cores, thread_count

# every engine gets the thread count minigan would take here (minigan/runtime.py): the cores, or the pinned count
THREADS = int(os.environ.get("MINIGAN_BENCH_THREADS", thread_count()))


def cpu_name():
    """The model name, family and model numbers, and the widest vector unit: 'AMD EPYC' alone
    names machines as different as Zen 3 (AVX2) and Zen 5 (AVX-512)."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                info.setdefault(key.strip(), value.strip())
    except OSError:
        return platform.processor() or "unknown CPU"
    flags = info.get("flags", "").split()
    vector = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{info.get('model name', 'unknown CPU')} (family {info.get('cpu family', '?')}, model {info.get('model', '?')}, {vector})"


def environment():
    from minigan.bench import pools

    own_cores(THREADS)  # Numba's pool and every BLAS copy (the GEMMs' MKL or OpenBLAS), as a training run sizes them
    env = {"cpu": cpu_name(), "cores": os.cpu_count(), "threads": THREADS, "numpy": np.__version__,
           "numba": numba.__version__, "python": platform.python_version(),
           "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
           "OpenMP idle policy": OMP_POLICY}
    env["blas"] = "; ".join(pools()["blas"])  # as `minigan bench` lists them
    try:
        import torch

        torch.set_num_threads(THREADS)
        env["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        env["torch"] = "not installed"
    env["tensorflow"] = tensorflow_version()
    return env


def tensorflow_version():
    """From the package metadata: TensorFlow itself takes 5-10 s to load, so only its engines load it."""
    from importlib import metadata

    for dist in ("tensorflow-cpu", "tensorflow"):
        try:
            return f"{metadata.version(dist)} ({dist}; keras {metadata.version('keras')}; both pools at {THREADS} threads)"
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


ENV = environment()


def pytest_report_header(config):
    return [f"minigan benchmarks: {k}={v}" for k, v in ENV.items()]


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["minigan"] = ENV


# seconds each case is timed for; the suite's smoke test (tests/) asks for less
SECONDS = float(os.environ.get("MINIGAN_BENCH_SECONDS", "3.0"))


def run(benchmark, fn, group, engine, flops, **info):
    """Warm up (JIT compile), pick a round count for about SECONDS (at least 5 rounds, so
    that a median means something even for a 300 ms step), then time ``fn``."""
    import time

    fn()
    t = time.perf_counter()
    fn()
    once = max(time.perf_counter() - t, 1e-6)
    rounds = int(min(max(SECONDS / once, 5), 200))
    benchmark.group = group
    benchmark.extra_info.update(engine=engine, flops=flops, **info)
    benchmark.pedantic(fn, rounds=rounds, iterations=1, warmup_rounds=0)


TF_ENGINES = ["tf-eager", "tf-function", "tf-xla"]


def tensorflow(engine):
    """-> (tensorflow, a function that compiles a step as the engine runs it): eager as is,
    tf.function, or tf.function(jit_compile=True) (XLA). Both TensorFlow pools get THREADS."""
    tf = need("tensorflow", "TensorFlow is not installed: pip install -e '.[bench]'")
    from benchmarks.keras_twin import compiled, pin_threads

    pin_threads(THREADS)
    return tf, lambda f: compiled(f, engine.removeprefix("tf-"))


def need(module, reason):
    """Import a reference framework, or skip this benchmark saying why (benchmarks only)."""
    return pytest.importorskip(module, reason=reason)
