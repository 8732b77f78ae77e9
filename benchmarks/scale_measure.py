"""Measure what docs/scale.md quotes: 2 ranks x 1 thread against 1 rank x 2 threads, D's
allreduce with and without overlap, and the part of D's backward that overlap can hide.

    python -m benchmarks.scale_measure [--recipe default] [--steps 300] [--out scale.json]

Each configuration is its own `minigan bench --json` process (under `mpiexec -n 2` for the
ranks), run one after another on an otherwise idle machine, alternating, `--repeats` times;
the medians of the medians are printed, with the scale model's inputs (benchmarks/scale_model.py).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

PINNED = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
TWO_THREADS = {"NUMBA_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}


def bench(batch, steps, recipe, ranks=1, overlap=True):
    args = [sys.executable, "-m", "minigan", "bench", "--batch-size", str(batch), "--steps", str(steps),
            "--recipe", recipe, "--json"] + ([] if overlap else ["--no-overlap"])
    env = dict(os.environ, **(PINNED if ranks > 1 else TWO_THREADS))
    if ranks > 1:
        args = [shutil.which("mpiexec"), "-n", str(ranks)] + args
    out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def d_rest_ms(batch, steps, recipe):
    """D's backward after conv3 in the D step: conv2's and conv1's backward at 2B rows, from --profile."""
    out = subprocess.run([sys.executable, "-m", "minigan", "bench", "--profile", "--batch-size", str(batch),
                          "--steps", str(steps), "--recipe", recipe], env=dict(os.environ, **TWO_THREADS),
                         capture_output=True, text=True, check=True).stdout
    rest = 0.0
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)\s+\S+\s+(\d+)\s+conv2d_backward \((\d+), (\d+), (\d+), (\d+)\)", line)
        if m and int(m.group(3)) == 2 * batch and int(m.group(4)) in (9, 3):  # dy of conv1 (9x9) and conv2 (3x3)
            rest += float(m.group(1)) / int(m.group(2))  # one call, the D step's
    return rest


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", default="default")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--out", help="write every run's JSON here")
    a = p.parse_args(argv)
    runs = []
    for _ in range(a.repeats):
        for batch in (32, 256):
            steps = a.steps if batch == 32 else max(a.steps // 6, 20)
            for ranks, overlap in ((1, True), (2, True), (2, False)):
                r = bench(batch, steps, a.recipe, ranks, overlap)
                runs.append(r)
                print(f"batch {batch:3d}  {ranks} rank(s) x {r['numba_threads']} thread(s)  overlap {r['overlap']!s:5}  "
                      f"median {r['median_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  "
                      f"{batch / r['median_ms'] * 1e3:,.0f} images/s", flush=True)
    rest = d_rest_ms(32, 100, a.recipe)
    print(f"D's backward after conv3 (conv2 + conv1 backward, D step, batch 32): {rest:.2f} ms")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"runs": runs, "d_rest_ms": rest}, f, indent=1)


if __name__ == "__main__":
    main()
