"""Is `--precision bf16` just as good as float32? Seeds of the default recipe in both, trained
to 50 epochs, scored by one classifier, and bfloat16 held to what float32 meets
(docs/precision.md, "Just as good").

    python -m benchmarks.precision_runs run   --seeds 0 1 2 --jobs 2 --runs runs/precision
    python -m benchmarks.precision_runs score --runs runs/precision --classifier runs/classifier.npz --out docs/ablation/precision-scores.jsonl
    python -m benchmarks.precision_runs check docs/ablation/precision-scores.jsonl

`run` and `score` are the plan of benchmarks/seed_runs.py (the twin-gap study's too), with
one arm per precision; every row carries its run's `precision`. `check` holds each seed's
rows at --early and --late (40 and 50) to the targets:
- class entropy at least 2.20 at epoch 50;
- every digit at least 5 % of the samples at epoch 50;
- no decay: the FID at epoch 50 at most the FID at epoch 40;
and requires of every bf16 seed each target that every float32 seed meets, and a FID at
epoch 50 at most 1.2 times the worst float32 seed's.
"""

import argparse

from benchmarks.seed_runs import MINIGAN, Arm, add_commands, one_setting, read_rows, run_command

ARMS = {"float32": Arm(MINIGAN), "bf16": Arm(MINIGAN + ("--precision", "bf16"))}
MIN_ENTROPY, MIN_DIGIT, WORST_FLOAT32_FACTOR = 2.20, 0.05, 1.2
FIXED = ("recipe", "recipe_changes", "generator", "engine")  # the same for both precisions' rows


def targets(early, late):
    """{target: met} for one seed's rows at the earlier and the later epoch."""
    return {"entropy ≥ 2.20": late["class_entropy"] >= MIN_ENTROPY,
            "every digit ≥ 5 %": min(late["class_histogram"]) >= MIN_DIGIT,
            "no decay": late["fid"] <= early["fid"]}


def by_seed(rows, early, late):
    """{precision: {seed: (early row, late row)}}, refusing mixed classifiers, a seed scored
    twice, a float32 FID that is not finite, and a seed without both epochs."""
    rows = [r for r in rows if r["epoch"] in (early, late)]
    one_setting(rows, f"rows at epochs {early} and {late}", FIXED)
    found = {}
    for r in rows:
        if "precision" not in r:
            raise SystemExit(f"the row of {r.get('checkpoint', 'a checkpoint')} has no precision: evaluate wrote it "
                             f"before rows carried one; score again: python -m benchmarks.precision_runs score ...")
        key = (r["precision"], r["seed"], r["epoch"])
        if key in found:
            raise SystemExit(f"{r['precision']} seed {r['seed']} is scored twice at epoch {r['epoch']}: keep one row")
        if r["precision"] == "float32" and not r["fid"] < float("inf"):
            raise SystemExit(f"float32 seed {r['seed']} has FID {r['fid']} at epoch {r['epoch']}: the yardstick's own "
                             f"runs must score; look at that run before comparing bf16 with it")
        found[key] = r
    out = {}
    for precision, seed, _ in sorted(found):
        pair = found.get((precision, seed, early)), found.get((precision, seed, late))
        if None in pair:
            raise SystemExit(f"{precision} seed {seed} lacks a score at epoch {early if pair[0] is None else late}; "
                             f"score both epochs: python -m benchmarks.precision_runs score ...")
        out.setdefault(precision, {})[seed] = pair
    if not out.get("float32") or not out.get("bf16"):
        raise SystemExit(f"scores of both precisions are needed; found {', '.join(sorted(out)) or 'none'}")
    return out


def check(rows, early=40, late=50):
    """-> (report lines, whether every bf16 seed meets its targets)."""
    seeds = by_seed(rows, early, late)
    met = {p: {s: targets(*pair) for s, pair in runs.items()} for p, runs in seeds.items()}
    float32_meets = [t for t in next(iter(met["float32"].values())) if all(m[t] for m in met["float32"].values())]
    worst = max(pair[1]["fid"] for pair in seeds["float32"].values())
    r0 = next(iter(seeds["float32"].values()))[1]
    lines = [f"classifier sha256 {r0['classifier_sha256'][:12]}, test accuracy {r0['classifier_test_accuracy']:.4f}; "
             f"FID at {early} -> {late}, entropy and rarest digit at {late}"]
    for precision, runs in seeds.items():
        for seed, (e, la) in runs.items():
            missed = [t for t, ok in met[precision][seed].items() if not ok]
            lines.append(f"  {precision:<7} seed {seed}: FID {e['fid']:.2f} -> {la['fid']:.2f}, entropy "
                         f"{la['class_entropy']:.3f}, rarest {100 * min(la['class_histogram']):.1f} %"
                         + (f"; misses {', '.join(missed)}" if missed else ""))
    lines.append(f"  every float32 seed meets: {', '.join(float32_meets) or 'none of the three'}; "
                 f"worst float32 FID at {late}: {worst:.2f}, so bf16's bound is {WORST_FLOAT32_FACTOR * worst:.2f}")
    ok = True
    for seed, (_, la) in seeds["bf16"].items():
        failed = [t for t in float32_meets if not met["bf16"][seed][t]]
        if not la["fid"] <= WORST_FLOAT32_FACTOR * worst:  # a NaN FID fails too
            failed.append(f"FID {la['fid']:.2f} > {WORST_FLOAT32_FACTOR} × {worst:.2f}")
        ok &= not failed
        lines.append(f"  bf16 seed {seed}: " + ("meets every target" if not failed else "fails " + "; ".join(failed)))
    return lines, ok


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)
    add_commands(sub, seeds=[0, 1, 2], epochs=50, runs="runs/precision", score_epochs=[40, 50],
                 out="docs/ablation/precision-scores.jsonl")
    c = sub.add_parser("check", help="every seed against the targets, from score rows")
    c.add_argument("scores", nargs="+", help="JSON-lines files of evaluate rows")
    c.add_argument("--early", type=int, default=40)
    c.add_argument("--late", type=int, default=50)
    args = p.parse_args(argv)
    if run_command(args, ARMS, "benchmarks.precision_runs"):
        return 0
    lines, ok = check(read_rows(args.scores), args.early, args.late)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
