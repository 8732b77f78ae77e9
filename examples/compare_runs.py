"""Two or more recorded runs side by side: what the flight recorder saw in each.

    python examples/compare_runs.py runs/documented runs/default --out compare.png

Each RUN is a run folder trained with `--record` (docs/record.md). Draws, against the step (log
scale, so that the first hundred steps, where the documented recipe collapses, get as much
room as the last thousands): D's outputs on real and fake images; the gradient D hands G's
images (its size, how alike it is from sample to sample, and the fakes' spread); each of D's
layers' gradient norm and update-to-weight ratio; spectral norm's σ where a run has it. Then
prints, per run, a few milestones read off the same columns (docs/collapse.md quotes them).
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from minigan.record import layer_series, load  # noqa: E402


def first_step(columns, name, test):
    """The first recorded step whose `name` passes `test`, or None."""
    hits = np.flatnonzero(test(columns[name]))
    return int(columns["step"][hits[0]]) if len(hits) else None


def milestones(columns):
    """What a reader looks for first, read off one run's record."""
    epoch1 = columns["epoch"] == 1
    last = columns["epoch"] == columns["epoch"].max()
    out = {
        "first step D(G(z)) < 0.05": first_step(columns, "d_fake", lambda v: v < 0.05),
        "first step the fakes' spread < 0.05": first_step(columns, "fake_spread", lambda v: v < 0.05),
        "first step cos(g) > 0.9": first_step(columns, "fake_grad_cos", lambda v: v > 0.9),
        "epoch 1: median D(G(z))": float(np.median(columns["d_fake"][epoch1])),
        "epoch 1: median cos(g)": float(np.median(columns["fake_grad_cos"][epoch1])),
        "epoch 1: median |g|": float(np.median(columns["fake_grad_norm"][epoch1])),
        "last epoch: median D(x)": float(np.median(columns["d_real"][last])),
        "last epoch: median D(G(z))": float(np.median(columns["d_fake"][last])),
        "last epoch: median |g|": float(np.median(columns["fake_grad_norm"][last])),
        "last epoch: median spread": float(np.median(columns["fake_spread"][last])),
        "last epoch: median cos(g)": float(np.median(columns["fake_grad_cos"][last])),
    }
    names, norms = layer_series(columns, "D", "grad_norm")
    for name, row in zip(names, norms):
        out[f"last epoch: median D/{name} gradient norm"] = float(np.median(row[last]))
    names, sigmas = layer_series(columns, "D", "sigma")
    for name, row in zip(names, sigmas):
        out[f"last epoch: median D/{name} sigma"] = float(np.median(row[last]))
    return out


def draw(runs, out):
    panels = [("D's outputs", [("d_real", "D(x)", "-"), ("d_fake", "D(G(z))", "--")]),
              ("|g|: the gradient D hands G's images", [("fake_grad_norm", None, "-")]),
              ("cos(g): how alike it is across samples", [("fake_grad_cos", None, "-")]),
              ("the fakes' spread (per-pixel sd)", [("fake_spread", None, "-")])]
    fig, axes = plt.subplots(2, 4, figsize=(18, 7.5), dpi=90)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (title, series) in zip(axes[0], panels):
        for (label, columns), color in zip(runs, colors):
            for name, what, style in series:
                ax.plot(columns["step"], columns[name], style, color=color, linewidth=1,
                        label=f"{label}: {what}" if what else label)
        ax.set_title(title, fontsize=9)
        ax.set_xscale("log")
        ax.legend(fontsize=7)
    for ax, (kind, title) in zip(axes[1], [("grad_norm", "D's gradient norms, per layer"),
                                           ("update_ratio", "D's update / weight, per layer"),
                                           ("sigma", "spectral norm's σ, per layer"),
                                           ("dead", "D's dead relu units, share")]):
        for (label, columns), color in zip(runs, colors):
            names, rows = layer_series(columns, "D", kind)
            for i, (name, row) in enumerate(zip(names, rows)):
                ax.plot(columns["step"], row, linestyle=["-", "--", ":", "-."][i % 4], color=color, linewidth=1,
                        label=f"{label}: {name}")
        ax.set_title(title, fontsize=9)
        ax.set_xscale("log")
        if kind in ("grad_norm", "update_ratio"):
            ax.set_yscale("log")
        if ax.lines:
            ax.legend(fontsize=6, ncol=2)
        else:
            ax.text(0.5, 0.5, "no run here has it", ha="center", transform=ax.transAxes)
    for ax in axes[1]:
        ax.set_xlabel("training step (log scale)", fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run folders trained with --record")
    p.add_argument("--out", default="compare.png")
    args = p.parse_args(argv)
    runs = [(Path(r).name, load(r)) for r in args.runs]
    draw(runs, args.out)
    print(f"wrote {args.out}")
    table = {label: milestones(columns) for label, columns in runs}
    keys = list(dict.fromkeys(k for m in table.values() for k in m))
    print("| | " + " | ".join(table) + " |\n|---|" + "---|" * len(table))
    for k in keys:
        cells = [table[label].get(k) for label in table]
        print(f"| {k} | " + " | ".join("–" if c is None else f"{c:.3g}" if isinstance(c, float) else str(c)
                                        for c in cells) + " |")


if __name__ == "__main__":
    main()
