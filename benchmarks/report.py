"""Turn pytest-benchmark JSON files into a markdown table and a bar chart.

    python benchmarks/report.py bench.json [bench-torch.json ...] --out docs/benchmarks

Several files (the suite run once per OpenMP policy, benchmarks/conftest.py) merge into one
table; the table's header says how each file was run.

writes docs/benchmarks/table.md (median time, GFLOP/s from analytic FLOP counts, ratio to
PyTorch in the same run; then the step under load against idle, and its p99) and
docs/benchmarks/chart.png (each engine's time relative to PyTorch, per case; below 1 is
faster than PyTorch).
"""

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ENGINE_ORDER = ["minigan", "minigan-reference", "numpy", "torch", "tf-eager", "tf-function", "tf-xla",
                "minigan-cuda", "torch-cuda", "floor"]
COLORS = {"minigan": "tab:green", "minigan-reference": "tab:olive", "numpy": "tab:blue",
          "torch": "tab:red", "tf-eager": "tab:orange", "tf-function": "tab:brown", "tf-xla": "tab:pink",
          "minigan-cuda": "tab:cyan", "torch-cuda": "tab:purple", "floor": "tab:gray"}


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
            results[(info["case"], info["batch"])][info["engine"]] = (b["stats"]["median"], info["flops"])
            if "load" in info:
                loaded[(info["engine"], info["load"])] = (b["stats"]["median"], info["p99"])
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


def chart(results, path):
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
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("json", nargs="+", help="pytest-benchmark JSON files (--benchmark-json)")
    p.add_argument("--out", default="docs/benchmarks", help="folder for table.md and chart.png")
    args = p.parse_args(argv)
    runs, results, loaded, owners = load(args.json)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text(table(runs, results) + load_table(loaded) + owner_table(owners))
    chart(results, out / "chart.png")
    print(f"wrote {out / 'table.md'} and {out / 'chart.png'} ({len(results)} cases)")


if __name__ == "__main__":
    main()
