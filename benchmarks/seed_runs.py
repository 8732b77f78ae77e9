"""Long training runs over several seeds, scored by one classifier: the plan that the twin-gap
study (benchmarks/twin_gap.py) and the precision study (benchmarks/precision_runs.py) share.

An arm is one way to train (an engine, a precision): the trainer it runs and the checkpoint it
resumes from. Each (arm, seed) trains into RUNS/<arm>-s<seed>, on one thread with every pool
pinned, `jobs` runs at a time, and an interrupted run resumes from its checkpoint, which every
trainer writes after each epoch, so a study can span sessions: run the same command again.
Scoring runs `evaluate` on each run's checkpoints at the chosen epochs, with one classifier,
whose test accuracy and SHA-256 go into every row.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Arm:
    """trainer: the arguments after `python` that train it; checkpoint: the file it resumes from."""

    trainer: tuple
    checkpoint: str = "checkpoint.npz"


MINIGAN = ("-m", "minigan", "train")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}


def run_dir(runs, arm, seed):
    return Path(runs) / f"{arm}-s{seed}"


def command(arms, arm, seed, epochs, runs, interval):
    """The command that trains (or resumes) one run, on one thread."""
    out = run_dir(runs, arm, seed)
    cmd = [sys.executable, *arms[arm].trainer, "--seed", str(seed), "--epochs", str(epochs),
           "--sample-interval", str(interval), "--threads", "1", "--out", str(out)]
    return cmd + ["--resume"] if (out / arms[arm].checkpoint).is_file() else cmd


def finished(arm, seed, epochs, runs):
    return (run_dir(runs, arm, seed) / f"weights_epoch_{epochs:03d}.npz").is_file()


def run_all(arms, seeds, epochs, runs, jobs, interval):
    """Train every unfinished (arm, seed) of `arms` ({name: Arm}), `jobs` at a time, the arms
    interleaved seed by seed; each run's output goes to RUNS/<arm>-s<seed>.log."""
    todo = [(a, s) for s in seeds for a in arms if not finished(a, s, epochs, runs)]
    env = {**os.environ, **ONE_THREAD}
    running = []
    while todo or running:
        while todo and len(running) < jobs:
            arm, seed = todo.pop(0)
            cmd = command(arms, arm, seed, epochs, runs, interval)
            Path(runs).mkdir(parents=True, exist_ok=True)
            log = open(Path(runs) / f"{arm}-s{seed}.log", "a")
            print(f"start {arm} seed {seed}: {' '.join(cmd)}", flush=True)
            running.append((arm, seed, subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT), log))
        time.sleep(5)
        for item in [r for r in running if r[2].poll() is not None]:
            running.remove(item)
            item[3].close()
            print(f"{item[0]} seed {item[1]} ended, code {item[2].returncode}", flush=True)


def score_all(runs, arms, seeds, epochs, classifier, out, data, usage):
    """Append one `evaluate` row per checkpoint (every arm, seed and epoch; the trained G) to
    the JSON-lines file `out`, paths relative. usage: the command that trains what is missing."""
    from minigan.evaluate import evaluate

    checkpoints = [run_dir(runs, a, s) / f"weights_epoch_{ep:03d}.npz" for s in seeds for a in arms for ep in epochs]
    missing = [str(c) for c in checkpoints if not c.is_file()]
    if missing:
        raise SystemExit(f"not trained yet: {', '.join(missing)}; run: {usage} (a run that stopped before that "
                         f"epoch says why at the end of its log, RUNS/<arm>-s<seed>.log)")
    with open(out, "a") as f:
        for row in evaluate(checkpoints, classifier_path=classifier, data=data, averaged=False):
            row["checkpoint"] = os.path.relpath(row["checkpoint"])
            row["classifier"] = os.path.relpath(row["classifier"])
            f.write(json.dumps(row) + "\n")
    print(f"appended {len(checkpoints)} rows to {out}")


def read_rows(paths):
    """Every row of the JSON-lines score files `paths`."""
    return [json.loads(line) for path in paths for line in Path(path).read_text().splitlines() if line.strip()]


def one_setting(rows, what, keys):
    """A clear refusal where rows were scored by more than one classifier (a FID compares only
    within one classifier's feature space), or differ in any of `keys`: what a study holds
    fixed (the recipe, its changes, which G was sampled, the engine or the precision), so that
    it compares its arms and nothing else. A key a row lacks counts as None."""
    classifiers = {r["classifier_sha256"] for r in rows}
    if len(classifiers) != 1:
        raise SystemExit(f"{what} come from {len(classifiers)} classifiers ({', '.join(sorted(classifiers))[:80]}); "
                         "a FID compares only within one classifier's feature space: re-score every run with one")
    settings = {json.dumps({k: r.get(k) for k in keys}, sort_keys=True) for r in rows}
    if len(settings) > 1:
        raise SystemExit(f"{what} mix {len(settings)} settings of {', '.join(keys)} ({'; '.join(sorted(settings))[:240]}); "
                         "keep the rows of one setting (score files of other studies apart)")


def add_commands(sub, seeds, epochs, runs, score_epochs, out):
    """The `run` and `score` subcommands of a study, with its defaults, on an argparse subparsers."""
    r = sub.add_parser("run", help="train (or resume) every arm and seed")
    r.add_argument("--seeds", nargs="+", type=int, default=seeds)
    r.add_argument("--epochs", type=int, default=epochs)
    r.add_argument("--jobs", type=int, default=2, help="runs at a time, one thread each (default 2)")
    r.add_argument("--sample-interval", type=int, default=10)
    r.add_argument("--runs", default=runs)
    s = sub.add_parser("score", help="evaluate every run's checkpoints with one classifier")
    s.add_argument("--runs", default=runs)
    s.add_argument("--seeds", nargs="+", type=int, default=seeds)
    s.add_argument("--score-epochs", nargs="+", type=int, default=score_epochs)
    s.add_argument("--classifier", required=True)
    s.add_argument("--data")
    s.add_argument("--out", default=out)


def run_command(args, arms, study):
    """Carry out a parsed `run` or `score` (add_commands); False for another subcommand.
    study: the module's name, for the hint when runs are missing."""
    if args.what == "run":
        run_all(arms, args.seeds, args.epochs, args.runs, args.jobs, args.sample_interval)
    elif args.what == "score":
        score_all(args.runs, arms, args.seeds, args.score_epochs, args.classifier, args.out, args.data,
                  usage=f"python -m {study} run ...")
    else:
        return False
    return True
