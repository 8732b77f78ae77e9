"""This checkout's training step against another checkout's, in alternating rounds:
`python -m benchmarks.against_checkout OTHER [--rounds 8] [--steps 60]`.

OTHER is a second worktree of the project (`git worktree add ../before COMMIT`). Each round runs
`python -m minigan bench --json` once in each checkout, for every recipe and batch size, the
order of the two alternating from round to round so that neither always runs on the warmer
machine; each process imports its own checkout's code (Python puts the working folder first
on its path). Reported per configuration: each round's ratio (this checkout's median step over
OTHER's), and the median of those ratios, which is what docs/speed.md quotes.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def step_ms(checkout, recipe, batch, steps):
    """The median step in ms of one `minigan bench` process run in checkout."""
    out = subprocess.run([sys.executable, "-m", "minigan", "bench", "--json", "--recipe", recipe, "--batch-size",
                          str(batch), "--steps", str(steps)], cwd=checkout, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]


def compare(other, rounds, steps, recipes, batches, log=print):
    """-> {(recipe, batch): [(this ms, other ms), ...]}, a pair a round."""
    results = {(r, b): [] for r in recipes for b in batches}
    for checkout in (HERE, other):  # compile (or load from Numba's cache) once in each, untimed
        step_ms(checkout, recipes[0], batches[0], 2)
    for i in range(rounds):
        for (recipe, batch), pairs in results.items():
            order = (HERE, other) if i % 2 == 0 else (other, HERE)
            ms = {checkout: step_ms(checkout, recipe, batch, steps) for checkout in order}
            pairs.append((ms[HERE], ms[other]))
            log(f"round {i + 1}: {recipe} b{batch}: this {ms[HERE]:.2f} ms, other {ms[other]:.2f} ms, "
                f"x{ms[HERE] / ms[other]:.3f}")
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("other", type=Path, help="the other checkout's folder")
    p.add_argument("--rounds", type=int, default=8)
    p.add_argument("--steps", type=int, default=60, help="timed steps a process (default 60)")
    p.add_argument("--recipes", nargs="+", default=["documented", "default"])
    p.add_argument("--batch-sizes", nargs="+", type=int, default=[32, 256])
    args = p.parse_args(argv)
    if not (args.other / "minigan" / "__main__.py").is_file():
        raise SystemExit(f"{args.other} is not a minigan checkout (no minigan/__main__.py there); make one with "
                         f"git worktree add {args.other} COMMIT")
    results = compare(args.other.resolve(), args.rounds, args.steps, args.recipes, args.batch_sizes)
    print("| recipe | batch | this (median ms) | other (median ms) | median of the rounds' ratios | rounds |")
    print("|---|---|---|---|---|---|")
    for (recipe, batch), pairs in results.items():
        ratios = [a / b for a, b in pairs]
        print(f"| {recipe} | {batch} | {statistics.median(a for a, _ in pairs):.2f} | "
              f"{statistics.median(b for _, b in pairs):.2f} | x{statistics.median(ratios):.3f} | {len(pairs)} |")


if __name__ == "__main__":
    main()
