"""Turn a pytest-benchmark JSON file into a markdown table and a bar chart.

    python benchmarks/report.py bench.json --out docs/benchmarks

writes docs/benchmarks/table.md (median time, GFLOP/s from analytic FLOP counts, ratio to
PyTorch in the same run) and docs/benchmarks/chart.png (each engine's time relative to
PyTorch, per case; below 1 is faster than PyTorch).
"""

import argparse
import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ENGINE_ORDER = ["minigan", "minigan-reference", "numpy", "torch", "tensorflow", "minigan-cuda", "torch-cuda",
                "memory-floor"]
COLORS = {"minigan": "tab:green", "minigan-reference": "tab:olive", "numpy": "tab:blue",
          "torch": "tab:red", "tensorflow": "tab:orange", "minigan-cuda": "tab:cyan", "torch-cuda": "tab:purple",
          "memory-floor": "tab:gray"}


def load(path):
    data = json.loads(Path(path).read_text())
    results = defaultdict(dict)  # (case, batch) -> engine -> (median s, flops)
    for b in data["benchmarks"]:
        info = b["extra_info"]
        results[(info["case"], info["batch"])][info["engine"]] = (b["stats"]["median"], info["flops"])
    return data, results


def table(data, results):
    env = data["machine_info"].get("minigan", {})
    engines = [e for e in ENGINE_ORDER if any(e in r for r in results.values())]
    lines = [f"Run {data['datetime'][:10]} on {env.get('cpu', '?')} ({env.get('cores', '?')} cores, "
             f"{env.get('threads', '?')} threads for every engine). BLAS: {env.get('blas', '?')}; "
             f"OPENBLAS_CORETYPE={env.get('OPENBLAS_CORETYPE', '?')}; freed memory kept for reuse (minigan/runtime.py): "
             f"{env.get('freed memory kept', '?')}. numpy {env.get('numpy')}, numba "
             f"{env.get('numba')}, torch {env.get('torch')}, tensorflow {env.get('tensorflow')}.", "",
             "Median time per call; GFLOP/s from analytic FLOP counts; (×N) is time relative to PyTorch in the same run.", "",
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
    p.add_argument("json", help="pytest-benchmark JSON (--benchmark-json)")
    p.add_argument("--out", default="docs/benchmarks", help="folder for table.md and chart.png")
    args = p.parse_args(argv)
    data, results = load(args.json)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text(table(data, results))
    chart(results, out / "chart.png")
    print(f"wrote {out / 'table.md'} and {out / 'chart.png'} ({len(results)} cases)")


if __name__ == "__main__":
    main()
