"""The training step per engine at batch 32 and 256, in alternating rounds: the headline figure.

    python -m benchmarks.step_rounds [--rounds 7] [--seconds 1.5] --out step_rounds.json
    python benchmarks/report.py bench*.json --rounds step_rounds.json --out docs/benchmarks

One pytest-benchmark run times each engine once, minutes apart from the others, and a VM's
speed drifts over minutes. Here every engine is built and warmed once, in a worker process of
its own kind (PyTorch under libgomp's default OpenMP policy, the others under minigan's, as
benchmarks/conftest.py explains), and then each round gives every engine a turn of about
--seconds at each batch size, in an order that rotates from round to round. A turn's figure is
the median of its steps; the result is the median of the rounds' figures, and their range.

The loaded cases: each round then starts each competitor of benchmarks/bench_load.py in turn
and times minigan's and PyTorch's batch-32 step beside it. Each is set against the same
engine's idle turn of the same round, so a competitor that slows both engines is not read as
one engine being fast. minigan's steps call follow_load() before each step in every turn, as
its trainer does.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKERS = {  # worker: (its engines, environment changes)
    "minigan": (["minigan", "minigan-bf16", "minigan-reference", "numpy", "floor"], {}),
    "torch": (["torch", "torch-bf16"], {"MINIGAN_BENCH_OMP": "default"}),
    "tf": (["tf-eager", "tf-function", "tf-xla"], {}),
}
BATCHES = [32, 256]
LOADED = ["minigan", "torch"]
MAX_STEPS = 200  # a turn's most steps, for the fastest engines


def worker(engines, batches):
    """A worker's whole life: build and warm every (engine, batch) step, say so with the
    machine's description, then answer each request line on stdin with one turn's step times."""
    from benchmarks.conftest import ENV, THREADS  # first: it loads PyTorch before anything sets the OpenMP policy
    from benchmarks.bench_step import step_function
    from minigan.runtime import follow_load, own_cores

    steps = {}
    for engine in engines:
        for batch in batches:
            step = step_function(engine, batch)
            if engine == "minigan":
                step = (lambda s: lambda: (follow_load(), s()))(step)
            step()  # compile, warm up
            step()
            steps[(engine, batch)] = step
    print(json.dumps({"ready": True, "env": ENV}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        step, times = steps[(ask["engine"], ask["batch"])], []
        # every turn starts with every pool at full size: minigan's load follower, having seen a
        # competitor in its last turn, may have left them smaller for the engines after it
        own_cores(THREADS)
        end = time.perf_counter() + ask["seconds"]
        while len(times) < ask["min_steps"] or (time.perf_counter() < end and len(times) < MAX_STEPS):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        print(json.dumps({"times": times}), flush=True)


class Worker:
    """A worker process, started and warm, answering turns."""

    def __init__(self, name, engines, env_changes, batches):
        from kernels import OPENMP_IDLE

        env = {k: v for k, v in os.environ.items() if k not in ("MINIGAN_BENCH_OMP", *OPENMP_IDLE)}
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.step_rounds", "--worker", *engines,
                                      "--batch-sizes", *map(str, batches)], cwd=REPO, env={**env, **env_changes},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.name, self.engines = name, engines
        self.env = self.reply()["env"]

    def reply(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker ended (code {self.proc.wait()}); its error is printed above")
        return json.loads(line)

    def turn(self, engine, batch, seconds, min_steps):
        """-> the median step in seconds of one turn."""
        self.proc.stdin.write(json.dumps({"engine": engine, "batch": batch, "seconds": seconds,
                                          "min_steps": min_steps}) + "\n")
        self.proc.stdin.flush()
        return statistics.median(self.reply()["times"])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def measure(rounds, seconds, min_steps, engines, batches, loads, log=print):
    """-> the JSON document of the run (see main's --out)."""
    from benchmarks.bench_load import competitor

    workers = {}
    try:
        for name, (owned, env_changes) in WORKERS.items():
            mine = [e for e in owned if e in engines]
            if mine:
                log(f"starting the {name} worker ({', '.join(mine)}): builds and warms every step")
                workers[name] = Worker(name, mine, env_changes, batches)
        owner = {e: w for w in workers.values() for e in w.engines}
        turns = [(e, b) for e in engines for b in batches]
        steps = {e: {b: [] for b in batches} for e in engines}
        loaded = {e: {load: [] for load in loads} for e in LOADED if e in engines}
        loadavg = []
        for r in range(rounds):
            k = r % len(turns)
            idle = {}
            for engine, batch in turns[k:] + turns[:k]:  # rotated: no engine always runs first
                idle[(engine, batch)] = owner[engine].turn(engine, batch, seconds, min_steps)
                steps[engine][batch].append(idle[(engine, batch)])
            for load in loads:
                with competitor(load):
                    order = list(loaded) if r % 2 == 0 else list(loaded)[::-1]
                    for engine in order:
                        t = owner[engine].turn(engine, 32, seconds, min_steps)
                        loaded[engine][load].append(t / idle[(engine, 32)])
            loadavg.append(os.getloadavg()[0])
            log(f"round {r + 1}/{rounds}: " + ", ".join(f"{e} b{b} {idle[(e, b)] * 1e3:.1f} ms" for e, b in turns))
    finally:
        for w in workers.values():
            w.close()
    env = (workers.get("minigan") or next(iter(workers.values()))).env
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit or "unknown",
            "machine": {"cpu": env["cpu"], "cores": env["cores"], "threads": env["threads"], "python": platform.python_version()},
            "env": {name: w.env for name, w in workers.items()}, "rounds": rounds, "seconds_a_turn": seconds,
            "min_steps": min_steps, "recipe": "documented", "steps_s": steps, "loaded_vs_idle": loaded,
            "loadavg_after_each_round": loadavg}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", nargs="+", metavar="ENGINE", help=argparse.SUPPRESS)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=float, default=1.5, help="about how long each turn times (default 1.5)")
    p.add_argument("--min-steps", type=int, default=3, help="the fewest steps a turn times (default 3)")
    p.add_argument("--engines", nargs="+", default=[e for owned, _ in WORKERS.values() for e in owned])
    p.add_argument("--batch-sizes", nargs="+", type=int, default=BATCHES)
    p.add_argument("--loads", nargs="*", default=["python-loop", "minigan-1-thread"],
                   help="competitors of benchmarks/bench_load.py to time beside (none: --loads)")
    p.add_argument("--out", type=Path, default=Path("step_rounds.json"))
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker, args.batch_sizes)
        return
    known = [e for owned, _ in WORKERS.values() for e in owned]
    unknown = [e for e in args.engines if e not in known]
    if unknown or args.rounds < 1 or args.seconds <= 0 or args.min_steps < 1:
        p.error(f"engines must be among {', '.join(known)}" if unknown else
                "--rounds and --min-steps must be at least 1 and --seconds above 0")
    from benchmarks.bench_load import LOADS

    if bad := [x for x in args.loads if x not in LOADS or x == "idle"]:
        p.error(f"no competitor {bad[0]!r}; the competitors are {', '.join(x for x in LOADS if x != 'idle')}")
    result = measure(args.rounds, args.seconds, args.min_steps, args.engines, args.batch_sizes, args.loads,
                     log=lambda m: print(m, file=sys.stderr, flush=True))
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
