"""Does minigan train as well as its PyTorch twin? Seeds of both engines, scored by one
classifier, and a test fixed before the runs (docs/scores.md, "minigan against its PyTorch twin").

    python -m benchmarks.twin_gap run   --seeds 0 1 2 3 4 --epochs 20 --jobs 2 --runs runs/twin-gap
    python -m benchmarks.twin_gap score --runs runs/twin-gap --classifier runs/classifier.npz --out docs/ablation/twin-gap-scores.jsonl
    python -m benchmarks.twin_gap test  docs/ablation/twin-gap-scores.jsonl --epoch 20

`run` trains every (engine, seed) of the default recipe to --epochs, --jobs at a time, and
`score` scores each run's checkpoints at --score-epochs with one classifier: the plan of
benchmarks/seed_runs.py, which the precision study shares.

`test`, decided before any score was seen: a two-sided exact permutation test of the
difference in mean FID at one epoch (every split of the pooled scores into groups of the two
engines' sizes, equally likely under "the engine makes no difference"; two-sided as twice the
smaller one-sided p); beside it each
engine's mean and standard deviation, the mean difference with a 95 % Welch interval, and the
smallest difference this many seeds would detect with 80 % power, found by simulating the
same test on normal scores with the pooled spread. It takes rows of one classifier, recipe,
generator and precision, and says when an engine has fewer than the five seeds it was fixed
with.
"""

import argparse
import itertools
from math import comb

import numpy as np

from benchmarks.seed_runs import MINIGAN, Arm, add_commands, one_setting, read_rows, run_command

ARMS = {"minigan": Arm(MINIGAN), "pytorch": Arm(("-m", "benchmarks.train_twin"), "twin_checkpoint.pt")}
ENGINES = tuple(ARMS)
FIXED = ("recipe", "recipe_changes", "generator", "precision")  # the same for both engines' rows
PLANNED_SEEDS = 5  # per engine, fixed before the runs (docs/scores.md)


def splits(n, k):
    """Every way to pick k of n labels: a (C(n, k), n) 0/1 matrix, one split a row."""
    rows = np.zeros((comb(n, k), n))
    for i, idx in enumerate(itertools.combinations(range(n), k)):
        rows[i, list(idx)] = 1.0
    return rows


def permutation_p(a, b, groups=None):
    """Two-sided exact permutation p of mean(a) - mean(b), as twice the smaller one-sided p
    (scipy's convention): over all C(n, len(a)) ways to relabel the pooled scores, the share
    whose difference is at least the observed one, and the share at most it. a and b may
    carry leading axes (trials, n) to test many samples at once; groups is splits(n, len(a)),
    passed in when the caller tests many."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    pooled = np.concatenate([a, b], axis=-1)  # (..., n)
    n, k = pooled.shape[-1], a.shape[-1]
    groups = splits(n, k) if groups is None else groups
    sums = pooled @ groups.T  # (..., C): each split's first-group sum
    diffs = sums / k - (pooled.sum(-1, keepdims=True) - sums) / (n - k)
    observed = (a.mean(-1) - b.mean(-1))[..., None]
    tol = 1e-12 * np.maximum(1.0, np.abs(observed))  # the observed split counts itself
    above, below = np.mean(diffs >= observed - tol, axis=-1), np.mean(diffs <= observed + tol, axis=-1)
    return np.minimum(1.0, 2 * np.minimum(above, below))


def welch_interval(a, b, level=0.95):
    """(mean(a) - mean(b), low, high): the Welch t interval of the difference in means."""
    from scipy import stats

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    d = a.mean() - b.mean()
    half = stats.t.ppf(0.5 + level / 2, df) * se
    return d, d - half, d + half


def detectable_gap(n_a, n_b, sd, alpha=0.05, power=0.8, trials=400, seed=0):
    """The smallest true difference in means that the permutation test at `alpha` finds with
    probability `power`, for normal scores of spread `sd`: bisection over simulated trials."""
    if comb(n_a + n_b, n_a) * alpha < 2:  # the smallest p possible is 2 / C(n, k)
        return float("inf")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((trials, n_a + n_b)) * sd
    groups = splits(n_a + n_b, n_a)

    def found(gap):
        return np.mean(permutation_p(noise[:, :n_a] + gap, noise[:, n_a:], groups) < alpha)

    lo, hi = 0.0, 8.0 * sd
    for _ in range(14):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if found(mid) >= power else (mid, hi)
    return hi


def scores_at(rows, epoch):
    """{engine: {seed: FID}} at `epoch`, refusing rows of different classifiers or settings."""
    rows = [r for r in rows if r["epoch"] == epoch]
    one_setting(rows, f"rows at epoch {epoch}", FIXED)
    out = {e: {} for e in ENGINES}
    for r in rows:
        if r["seed"] in out[r["engine"]]:
            raise SystemExit(f"{r['engine']} seed {r['seed']} is scored twice at epoch {epoch}: keep one row")
        out[r["engine"]][r["seed"]] = r["fid"]
    return out


def report(rows, epoch):
    by_engine = scores_at(rows, epoch)
    a, b = (list(by_engine[e].values()) for e in ENGINES)
    if min(len(a), len(b)) < 2:
        raise SystemExit(f"epoch {epoch}: {len(a)} minigan and {len(b)} twin scores; the test needs at least 2 of each")
    lines = [f"epoch {epoch}, FID by one classifier (sha256 {rows[0]['classifier_sha256'][:12]}, "
             f"test accuracy {rows[0]['classifier_test_accuracy']:.4f})"]
    for e, s in zip(ENGINES, (a, b)):
        seeds = ", ".join(f"{seed}: {v:.1f}" for seed, v in sorted(by_engine[e].items()))
        lines.append(f"  {e:<8} n={len(s)}  mean {np.mean(s):.1f} ± sd {np.std(s, ddof=1):.1f}   ({seeds})")
    d, lo, hi = welch_interval(a, b)
    pooled_sd = np.sqrt(((len(a) - 1) * np.var(a, ddof=1) + (len(b) - 1) * np.var(b, ddof=1)) / (len(a) + len(b) - 2))
    lines += [f"  minigan − twin: {d:+.1f}, 95 % Welch interval [{lo:+.1f}, {hi:+.1f}]",
              f"  exact two-sided permutation p = {float(permutation_p(a, b)):.4f} ({comb(len(a) + len(b), len(a))} splits)",
              f"  smallest gap found with 80 % power at p < 0.05: {detectable_gap(len(a), len(b), pooled_sd):.1f} "
              f"(pooled sd {pooled_sd:.1f})"]
    if min(len(a), len(b)) < PLANNED_SEEDS:
        lines.append(f"  fewer than the {PLANNED_SEEDS} seeds an engine that the test was fixed with: "
                     f"a look at the runs so far, not the test's answer")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    add_commands(sub, seeds=[0, 1, 2, 3, 4], epochs=20, runs="runs/twin-gap", score_epochs=[10, 20],
                 out="docs/ablation/twin-gap-scores.jsonl")
    t = sub.add_parser("test", help="the permutation test and the interval, from score rows")
    t.add_argument("scores", nargs="+", help="JSON-lines files of evaluate rows")
    t.add_argument("--epoch", type=int, default=20)
    args = p.parse_args(argv)
    if run_command(args, ARMS, "benchmarks.twin_gap"):
        return 0
    print(report(read_rows(args.scores), args.epoch))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
