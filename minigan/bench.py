"""`python -m minigan bench`: the median training-step time of minigan on this machine, and
with --profile, where that time goes, kernel by kernel."""

import json
import os
import time
from collections import defaultdict

import numpy as np

from minigan import backends
from minigan.gan import GAN
from minigan.recipes import RECIPES
from minigan.runtime import follow_load


def pools():
    """Numba's thread count and every BLAS pool loaded (sized together by minigan/runtime.py's
    own_cores): MKL where it runs the GEMMs (kernels/cpu/gemm.py), SciPy's OpenBLAS (the GEMMs
    otherwise) and NumPy's own copy, all listed."""
    import numba
    from threadpoolctl import threadpool_info

    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    return {"numba_threads": numba.get_num_threads(),
            "blas": [f"{p['internal_api']} {p['version']} {p['filepath'].rsplit('/', 1)[-1]} "
                     f"kernel {p.get('architecture')} x{p['num_threads']}" for p in blas]}


def check_counts(batch_size, steps):
    if batch_size < 1 or steps < 1:
        raise ValueError(f"--batch-size and --steps must be positive, got {batch_size} and {steps}")


def gan_with_batch(batch_size, ops, recipe="documented", seed=0, world=None, **model_sizes):
    """-> (GAN on the kernel module ``ops``, a real batch, a noise batch): what every timing steps on.
    recipe: a name from RECIPES or a Recipe. Data-parallel (world), this rank's shard of the batch.
    model_sizes: more of GAN's keywords (g_widths, d_channels, precision)."""
    rng = np.random.default_rng(seed)
    gan = GAN(RECIPES[recipe] if isinstance(recipe, str) else recipe, rng, ops, world=world, **model_sizes)
    real = rng.uniform(-1, 1, (batch_size, 28, 28, 1)).astype(np.float32)
    z = rng.standard_normal((batch_size, 100)).astype(np.float32)
    if world is not None:
        world.split_batch(batch_size)
        real, z = world.shard(real), world.shard(z)
    return gan, real, z


def timed_steps(gan, real, z, steps):
    """Seconds of each of `steps` training steps on the same batch."""
    times = np.empty(steps)
    for i in range(steps):
        t = time.perf_counter()
        follow_load()  # as the trainer does
        gan.train_step(real, z)
        times[i] = time.perf_counter() - t
    return times


def time_steps(batch_size, steps, device="cpu", recipe="documented", warmup=3, seed=0, world=None, **model_sizes):
    """-> (first_step_seconds, per-step seconds array) for `steps` timed steps after `warmup`
    untimed ones, the first of which is timed alone; warmup=0: no untimed step, first None.
    On cuda each step ends with the loss copies to the host, which synchronise the device.
    Data-parallel (world), batch_size is the global batch and every step ends in collectives,
    so rank 0's times are the run's."""
    gan, real, z = gan_with_batch(batch_size, backends.get(device), recipe, seed, world, **model_sizes)
    first = None
    if warmup:
        t0 = time.perf_counter()
        gan.train_step(real, z)  # compiles (or loads from the cache) every kernel
        first = time.perf_counter() - t0
    for _ in range(max(warmup - 1, 0)):
        gan.train_step(real, z)
    return first, timed_steps(gan, real, z, steps)


def run_bench(batch_size, steps, device="cpu", as_json=False, recipe="documented", world=None, precision="float32"):
    """Time the step; under mpiexec (world with N ranks) the data-parallel step of a global batch.
    precision "bf16": bfloat16 products (docs/precision.md)."""
    check_counts(batch_size, steps)
    first, times = time_steps(batch_size, steps, device, recipe, world=world, precision=precision)
    result = {"median_ms": float(np.median(times) * 1e3), "p99_ms": float(np.percentile(times, 99) * 1e3),
              "mean_ms": float(times.mean() * 1e3), "first_step_s": first, "batch_size": batch_size,
              "steps": steps, "device": device, "recipe": recipe, "precision": precision, "cpus": os.cpu_count(),
              **pools(),
              "ranks": world.size if world else 1, "overlap": bool(world and world.parallel and world.overlap)}
    result["threads"] = result["numba_threads"]
    if world is not None and not world.is_root:
        return result
    if as_json:
        print(json.dumps(result))
    else:
        ranks = f", {result['ranks']} ranks" if result["ranks"] > 1 else ""
        print(f"minigan train step, batch {batch_size}{ranks}, {device}{backends.precision_note(precision)}, "
              f"recipe {recipe!r}: median {result['median_ms']:.2f} ms, "
              f"p99 {result['p99_ms']:.2f} ms over {steps} steps ({1e3 / result['median_ms'] * batch_size:,.0f} images/s); "
              f"first step {first:.2f} s; Numba threads {result['threads']}; BLAS: {'; '.join(result['blas'])}")
    return result


class TimedOps:
    """The kernel module with a stopwatch around every call: time per (kernel, first argument's
    shape). Kernels return when their work is done on the CPU, so wall time is their time."""

    def __init__(self, ops):
        self.ops = ops
        self.times = defaultdict(list)

    def __getattr__(self, name):
        kernel = getattr(self.ops, name)
        if not callable(kernel) or isinstance(kernel, type):  # constants, and the Workspace class
            return kernel

        def timed(*args, **kwargs):
            t = time.perf_counter()
            out = kernel(*args, **kwargs)
            self.times[(name, tuple(getattr(args[0], "shape", ())))].append(time.perf_counter() - t)
            return out

        return timed


def run_profile(batch_size, steps, recipe="documented", seed=0, precision="float32"):
    """Time `steps` CPU training steps with every kernel call timed; print a table, biggest first:
    ms per step (median call time x calls per step), calls per step, share of the step."""
    check_counts(batch_size, steps)
    ops = TimedOps(backends.get("cpu"))
    gan, real, z = gan_with_batch(batch_size, ops, recipe, seed, precision=precision)
    for _ in range(3):  # compile and warm up, untimed
        gan.train_step(real, z)
    ops.times.clear()
    step_times = timed_steps(gan, real, z, steps)
    step = float(np.median(step_times))
    rows = sorted(((float(np.median(v)) * len(v) / steps, name, shape, len(v) // steps)
                   for (name, shape), v in ops.times.items()), reverse=True)
    print(f"minigan train step, batch {batch_size}{backends.precision_note(precision)}, recipe {recipe!r}: "
          f"median {step * 1e3:.2f} ms over {steps} steps; "
          f"kernels {sum(r[0] for r in rows) * 1e3:.2f} ms, the rest is Python between them")
    print(f"{'ms/step':>8} {'share':>6} {'calls':>5}  kernel (first argument's shape)")
    for ms, name, shape, calls in rows:
        print(f"{ms * 1e3:8.3f} {ms / step:6.1%} {calls:5d}  {name} {shape}")
    return step, rows
