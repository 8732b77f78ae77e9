"""Turn benchmark results into markdown tables and charts.

    python benchmarks/report.py bench.json [bench-torch.json ...] [--rounds step_rounds.json] --out docs/benchmarks

From benchmarks/step_rounds.py's file (--rounds), the headline: docs/benchmarks/step.png and
step.md, the training step per engine at batch 32 and 256 as medians of alternating rounds,
and the step beside each competitor against the same engine's idle step.

From pytest-benchmark's files (several: the suite run once per OpenMP policy,
benchmarks/conftest.py), the per-case table (median time, GFLOP/s from analytic FLOP
counts, ratio to PyTorch in the same run; then the step under load against idle, and its
p99) and docs/benchmarks/chart.png (each engine's time relative to PyTorch, per case and
idle; below 1 is faster than PyTorch). Each case there is one run of about a second.
"""

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ENGINE_ORDER = ["minigan", "minigan-bf16", "minigan-reference", "numpy", "torch", "torch-bf16", "tf-eager",
                "tf-function", "tf-xla", "minigan-cuda", "torch-cuda", "floor"]
COLORS = {"minigan": "tab:green", "minigan-bf16": "limegreen", "minigan-reference": "tab:olive", "numpy": "tab:blue",
          "torch": "tab:red", "torch-bf16": "salmon", "tf-eager": "tab:orange", "tf-function": "tab:brown",
          "tf-xla": "tab:pink", "minigan-cuda": "tab:cyan", "torch-cuda": "tab:purple", "floor": "tab:gray"}


def load(paths):
    """-> (the runs' JSON documents, {(case, batch): {engine: (median s, flops)}}, {(engine, load):
    (median s, p99 s)} for the steps timed beside a competing process (benchmarks/bench_load.py),
    {(kernel, owner, load): {threads: median s}} for its one-kernel-per-owner cases)."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    results, loaded, owners = defaultdict(dict), {}, defaultdict(dict)
    for data in runs:
        for b in data["benchmarks"]:
            info = b["extra_info"]
            if "owner" in info:
                owners[(info["kernel"], info["owner"], info["load"])][info["threads"]] = b["stats"]["median"]
                continue
            if "load" in info:  # compared with the same engine idle, never with another engine
                loaded[(info["engine"], info["load"])] = (b["stats"]["median"], info["p99"])
            else:
                results[(info["case"], info["batch"])][info["engine"]] = (b["stats"]["median"], info["flops"])
    return runs, results, loaded, owners


def load_table(loaded):
    """The step beside each competitor against the same engine idle, and each p99 against its median."""
    if not loaded:
        return ""
    lines = ["", "The batch-32 step beside a competing process (benchmarks/bench_load.py): median, then "
             "(×N) against the same engine idle in the same run; p99, then (×N) against its own median.", "",
             "| engine | load | median | p99 |", "|---|---|---|---|"]
    for (engine, load), (median, p99) in sorted(loaded.items(), key=lambda kv: (ENGINE_ORDER.index(kv[0][0]), kv[0][1] != "idle", kv[0][1])):
        idle = loaded.get((engine, "idle"), (None,))[0]
        vs_idle = f" (×{median / idle:.2f})" if idle else ""
        lines.append(f"| {engine} | {load} | {median * 1e3:.1f} ms{vs_idle} | {p99 * 1e3:.1f} ms (×{p99 / median:.2f}) |")
    return "\n".join(lines) + "\n"


def owner_table(owners):
    """Each owner's kernel at 1 and 2 threads, idle and beside each competitor: which count wins."""
    if not owners:
        return ""
    lines = ["", "One kernel per owner (benchmarks/bench_load.py), every pool at 1 or 2 threads: medians, and "
             "the faster count.", "", "| kernel | owner | load | 1 thread | 2 threads | faster |", "|---|---|---|---|---|---|"]
    for (kernel, owner, load), by_threads in sorted(owners.items(), key=lambda kv: (kv[0][0], kv[0][2] != "idle", kv[0][2])):
        one, two = by_threads.get(1), by_threads.get(2)
        faster = "–" if one is None or two is None else f"{'1' if one < two else '2'} (×{max(one, two) / min(one, two):.2f})"
        cell = lambda t: "–" if t is None else f"{t * 1e3:.3f} ms"  # noqa: E731
        lines.append(f"| {kernel} | {owner} | {load} | {cell(one)} | {cell(two)} | {faster} |")
    return "\n".join(lines) + "\n"


def run_line(data):
    env = data["machine_info"].get("minigan", {})
    engines = sorted({b["extra_info"]["engine"] for b in data["benchmarks"]})
    return (f"Run {data['datetime'][:16]} ({', '.join(engines)}) on {env.get('cpu', '?')} ({env.get('cores', '?')} cores, "
            f"{env.get('threads', '?')} threads for every engine); OpenMP idle policy: "
            f"{env.get('OpenMP idle policy', '?')}. BLAS: {env.get('blas', '?')}; "
            f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '?')}. numpy {env.get('numpy')}, numba "
            f"{env.get('numba')}, torch {env.get('torch')}, tensorflow {env.get('tensorflow')}.")


def table(runs, results):
    engines = [e for e in ENGINE_ORDER if any(e in r for r in results.values())]
    lines = [run_line(data) + "\n" for data in runs] + [
             "Median time per call; GFLOP/s from analytic FLOP counts; (×N) is time relative to PyTorch.", "",
             "| case | batch | " + " | ".join(engines) + " |", "|---|---|" + "---|" * len(engines)]
    for (case, batch), by_engine in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ref = by_engine.get("torch", (None,))[0]
        cells = []
        for e in engines:
            if e not in by_engine:
                cells.append("–")
                continue
            t, flops = by_engine[e]
            ratio = f" (×{t / ref:.2f})" if ref else ""
            cells.append(f"{t * 1e3:.3f} ms, {flops / t / 1e9:.1f} GF/s{ratio}")
        lines.append(f"| {case} | {batch or '–'} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def chart(runs, results, path):
    cases = [k for k in sorted(results, key=lambda k: (k[1], k[0])) if "torch" in results[k]]
    engines = [e for e in ENGINE_ORDER if e != "torch" and any(e in results[k] for k in cases)]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(cases) + 1.5), dpi=100)
    height = 0.8 / max(len(engines), 1)
    y = np.arange(len(cases))
    for i, e in enumerate(engines):
        ratios = [results[k][e][0] / results[k]["torch"][0] if e in results[k] else np.nan for k in cases]
        ax.barh(y + i * height, ratios, height, label=e, color=COLORS[e])
    ax.axvline(1.0, color="tab:red", linewidth=1, label="PyTorch = 1")
    ax.set_xscale("log")
    ax.set_yticks(y + height * (len(engines) - 1) / 2)
    ax.set_yticklabels([f"{c} b{b}" if b else c for c, b in cases], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time relative to PyTorch (log scale; < 1 is faster)")
    env = runs[0]["machine_info"].get("minigan", {})
    ax.set_title(f"each case: one pytest-benchmark run (its median call), not alternating rounds;\n{env.get('cpu', '?')}, "
                 f"{env.get('cores', '?')} cores, {env.get('threads', '?')} threads for every engine, "
                 f"{runs[0]['datetime'][:10]}. The step in rounds: step.png", fontsize=7)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def machine_line(doc):
    m = doc["machine"]
    return f"{m['cpu']}, {m['cores']} cores, {m['threads']} threads for every engine"


def rounds_table(doc):
    """The headline table: each engine's step at each batch (median of the rounds, their range,
    and the ratio to PyTorch), then each loaded step against the same engine idle."""
    steps, rounds = doc["steps_s"], doc["rounds"]
    batches = sorted({int(b) for by_batch in steps.values() for b in by_batch})
    engines = [e for e in ENGINE_ORDER if e in steps]
    lines = [f"The training step of the {doc['recipe']} recipe (benchmarks/step_rounds.py): the median of "
             f"{rounds} alternating rounds, each giving every engine about {doc['seconds_a_turn']} s at each "
             f"batch size; in brackets the fastest and slowest round. {machine_line(doc)}; {doc['date']}, "
             f"commit {doc['commit']}.", "",
             "| engine | " + " | ".join(f"batch {b}" for b in batches) + " |", "|---|" + "---|" * len(batches)]
    for e in engines:
        cells = []
        for b in batches:
            t = steps[e].get(str(b), [])
            ref = statistics.median(steps["torch"][str(b)]) if "torch" in steps else None
            ratio = f", ×{statistics.median(t) / ref:.2f} of PyTorch" if ref and t else ""
            cells.append(f"{statistics.median(t) * 1e3:.1f} ms ({min(t) * 1e3:.1f}–{max(t) * 1e3:.1f}){ratio}"
                         if t else "–")
        lines.append(f"| {e} | " + " | ".join(cells) + " |")
    loads = sorted({load for by_load in doc["loaded_vs_idle"].values() for load in by_load})
    if loads:
        lines += ["", f"The batch-32 step beside each competitor of benchmarks/bench_load.py, as a multiple of the "
                  f"same engine's idle step in the same round: median of {rounds} rounds (range).", "",
                  "| engine | " + " | ".join(f"beside {load}" for load in loads) + " |", "|---|" + "---|" * len(loads)]
        for e, by_load in doc["loaded_vs_idle"].items():
            lines.append(f"| {e} | " + " | ".join(
                f"×{statistics.median(r):.2f} ({min(r):.2f}–{max(r):.2f})" if (r := by_load.get(load)) else "–"
                for load in loads) + " |")
    return "\n".join(lines) + "\n"


def rounds_chart(doc, path):
    """step.png: one panel per batch size (each engine's step in ms, the rounds' range as a
    whisker) and one of the loaded steps against their own idle step; every panel names the
    machine and the number of rounds."""
    steps, rounds = doc["steps_s"], doc["rounds"]
    batches = sorted({int(b) for by_batch in steps.values() for b in by_batch})
    engines = [e for e in ENGINE_ORDER if e in steps]
    loaded = doc["loaded_vs_idle"]
    panels = len(batches) + (1 if loaded else 0)
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 0.45 * len(engines) + 2.2), dpi=100)
    where = f"{machine_line(doc)}\nmedian of {rounds} alternating rounds; whiskers: fastest and slowest round"
    for ax, b in zip(axes, batches):
        shown = [e for e in engines if steps[e].get(str(b))]
        med = [statistics.median(steps[e][str(b)]) * 1e3 for e in shown]
        lo = [m - min(steps[e][str(b)]) * 1e3 for m, e in zip(med, shown)]
        hi = [max(steps[e][str(b)]) * 1e3 - m for m, e in zip(med, shown)]
        y = np.arange(len(shown))
        ref = statistics.median(steps["torch"][str(b)]) * 1e3 if steps.get("torch", {}).get(str(b)) else None
        for yi, e, m, l, h in zip(y, shown, med, lo, hi):  # dots, not bars: a bar's length means nothing on a log axis
            ax.errorbar([m], [yi], xerr=[[l], [h]], fmt="o", color=COLORS[e], capsize=3)
            ax.text(m + h, yi, f"  {m:.1f} ms" + (f" (×{m / ref:.2f})" if ref else ""), va="center", fontsize=7)
        ax.set_xlim(min(med) / 1.5, max(m + h for m, h in zip(med, hi)) * 4)
        ax.set_ylim(len(shown) - 0.5, -0.5)
        ax.set_yticks(y)
        ax.set_yticklabels(shown, fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.grid(axis="x", which="both", alpha=0.3)
        ax.set_xlabel("ms per training step (log scale); (×N): time relative to PyTorch", fontsize=8)
        ax.set_title(f"batch {b}: {doc['recipe']} recipe, one step\n{where}", fontsize=7)
    if loaded:
        ax = axes[-1]
        loads = sorted({load for by_load in loaded.values() for load in by_load})
        height = 0.8 / len(loads)
        names = list(loaded)
        for i, load in enumerate(loads):
            r = [loaded[e].get(load, []) for e in names]
            med = [statistics.median(x) if x else np.nan for x in r]
            err = [[m - min(x) for m, x in zip(med, r)], [max(x) - m for m, x in zip(med, r)]]
            ax.barh(np.arange(len(names)) + i * height, med, height, xerr=err, capsize=3, label=f"beside {load}")
            for yi, m, top in zip(np.arange(len(names)) + i * height, med, err[1]):
                ax.text(m + top, yi, f"  ×{m:.2f}", va="center", fontsize=7)
        ax.axvline(1.0, color="k", linewidth=1)
        ax.set_yticks(np.arange(len(names)) + height * (len(loads) - 1) / 2)
        ax.set_yticklabels(names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("step beside the competitor ÷ the same engine's idle step", fontsize=8)
        ax.set_title(f"batch 32 under load, against its own idle step\n{where}", fontsize=7)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("json", nargs="*", help="pytest-benchmark JSON files (--benchmark-json)")
    p.add_argument("--rounds", type=Path, help="benchmarks/step_rounds.py's JSON file: the headline")
    p.add_argument("--out", default="docs/benchmarks", help="folder for step.md and step.png (--rounds), "
                   "table.md and chart.png (pytest-benchmark's files)")
    args = p.parse_args(argv)
    if not args.json and not args.rounds:
        p.error("give pytest-benchmark JSON files, --rounds FILE, or both")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.rounds:
        doc = json.loads(args.rounds.read_text())
        (out / "step.md").write_text("# The training step, in alternating rounds\n\n" + rounds_table(doc))
        rounds_chart(doc, out / "step.png")
        print(f"wrote {out / 'step.md'} and {out / 'step.png'}")
    if args.json:
        runs, results, loaded, owners = load(args.json)
        (out / "table.md").write_text(table(runs, results) + load_table(loaded) + owner_table(owners))
        chart(runs, results, out / "chart.png")
        print(f"wrote {out / 'table.md'} and {out / 'chart.png'} ({len(results)} cases)")

if __name__ == "__main__":
    main()
