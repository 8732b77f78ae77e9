"""A run's training report: one self-contained HTML page, RUN/training_report.html.

    python -m minigan report RUN

The page loads nothing: its pictures are PNGs inside it (base64 data: URLs), its style is
inline, it has no script, so it opens offline and can be mailed as one file. It shows
    the run's settings                     (its checkpoint's config)
    the losses and D's outputs             (losses.csv: every step faint, epoch means bold)
    gradient norms, layer x time           (record.csv, one heat map a net: train --record)
    update-to-weight ratios                (record.csv)
    inside the step                        (record.csv: the gradient G's images get, dead
                                            units, spectral norm's sigma)
    the sample grids by epoch              (samples_epoch_NNN.png)
    the scores                             (scores.jsonl, which `evaluate` keeps in the run folder)
Whatever the run lacks (a record, scores) is said, with the command that makes it.
"""

import base64
import html
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from minigan.checkpoint import load_checkpoint
from minigan.evaluate import SCORES, load_scores
from minigan.files import atomic_write
from minigan.plots import plot_per_step, png_bytes
from minigan.record import NETS, TABLE, layer_series, load, read_columns
from minigan.validate import UsageError

REPORT = "training_report.html"
RULE_OF_THUMB = 1e-3  # an update-to-weight ratio near which training usually moves well (cs231n's notes)
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
img { max-width: 100%; } figure { display: inline-block; margin: .5em; text-align: center; }
figcaption, .note { color: #555; font-size: .9em; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f3f3f3; } code { background: #f3f3f3; padding: 0 .2em; }
"""


def picture(png, alt, width=None):
    """An <img> holding the PNG bytes themselves."""
    size = f' width="{width}"' if width else ""
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="{html.escape(alt)}"{size}>'


def figure(rows=1, cols=1, height=3.2, width=5.4):
    """A figure of rows x cols panels, each width x height inches -> (figure, 2-d array of axes)."""
    return plt.subplots(rows, cols, figsize=(width * cols, height * rows), dpi=90, squeeze=False)


def note(text):
    return f'<p class="note">{text}</p>'


def settings_section(run):
    _, meta = load_checkpoint(run / "checkpoint.npz")
    config = meta.get("config", {})
    shown = ["recipe", "recipe_changes", "epochs", "batch_size", "lr", "seed", "dtype", "device", "limit", "record"]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(config.get(k)))}</td></tr>" for k in shown
                   if k in config)
    return f"<p>Checkpoint at epoch {meta.get('epoch')}.</p><table>{rows}</table>"


def losses_section(run):
    log = read_columns(run / "losses.csv")
    if not len(log["step"]):
        return note("No training step yet.")
    fig, axes = figure(1, 2)
    ax_loss, ax_d = axes[0]
    plot_per_step(ax_loss, log, ("d_loss", "g_loss"), "binary cross-entropy")
    ax_loss.set_title("losses")
    plot_per_step(ax_d, log, ("d_real", "d_fake"), "probability of 'real'")
    ax_d.set_title("D(x) (d_real) and D(G(z)) (d_fake)")
    ax_d.set_ylim(0, 1)
    fig.tight_layout()
    return picture(png_bytes(fig), "loss curves and D's outputs")


def heat_maps(record):
    """|gradient| per layer and recorded step, log scale, one panel a net."""
    fig, axes = figure(2, 1, height=2.4, width=10.8)
    steps = record["step"]
    for ax, net in zip(axes[:, 0], NETS):
        names, values = layer_series(record, net, "grad_norm")
        logs = np.log10(np.maximum(values, np.finfo(np.float64).tiny))
        image = ax.imshow(logs, aspect="auto", interpolation="nearest", cmap="viridis",
                          extent=(steps[0] - 0.5, steps[-1] + 0.5, len(names) - 0.5, -0.5))
        ax.set_yticks(range(len(names)), names)
        ax.set_title(f"{net}: log10 |gradient| per layer (first layer on top)")
        ax.set_xlabel("step")
        fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return picture(png_bytes(fig), "gradient norms, layer by time")


def per_layer_lines(record, statistic, title, log_scale=True, rule=None):
    """One panel a net that has the statistic, one line a layer."""
    by_net = {net: layer_series(record, net, statistic) for net in NETS}
    nets = [net for net in NETS if by_net[net][0]]
    fig, axes = figure(1, len(nets))
    for ax, net in zip(axes[0], nets):
        names, values = by_net[net]
        for name, series in zip(names, values):
            ax.plot(record["step"], series, marker="." if len(series) < 30 else None, label=name)
        if rule:
            ax.axhline(rule, color="grey", linestyle="--", linewidth=0.8, label=f"{rule:g}")
        if log_scale and np.all(values > 0):
            ax.set_yscale("log")
        ax.set_title(f"{net}: {title}")
        ax.set_xlabel("step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return picture(png_bytes(fig), f"{title} per layer")


def images_gradient(record):
    """The gradient D hands G's images, and what the images do."""
    fig, axes = figure(1, 2)
    ax_norm, ax_cos = axes[0]
    ax_norm.plot(record["step"], record["fake_grad_norm"], color="tab:red")
    ax_norm.set_title("|dL_G / dG(z)| per image (mean)")
    ax_norm.set_yscale("log")
    ax_cos.plot(record["step"], record["fake_grad_cos"], label="cos between two images' gradients")
    ax_cos.plot(record["step"], record["fake_spread"], label="spread of the images (per-pixel std)")
    ax_cos.set_title("alignment and spread")
    ax_cos.legend(fontsize=7)
    for ax in (ax_norm, ax_cos):
        ax.set_xlabel("step")
    fig.tight_layout()
    return picture(png_bytes(fig), "the gradient G's images get")


def record_sections(run):
    """(title, html) of the sections drawn from record.csv, or one that says how to get it."""
    if not (run / TABLE).is_file():
        return [("Inside the training step", note(
            f"This run has no record. Train with <code>--record</code> (<code>python -m minigan train --record "
            f"--out {html.escape(str(run))}</code>) to see its gradients, updates and activations here."))]
    record = load(run)
    if not len(record["step"]):
        return [("Inside the training step", note("The record has no step yet."))]
    sections = [
        ("Gradient norms, layer by time", heat_maps(record) + note(
            "Each row a layer, each column a recorded step: |dL/dθ| over the layer's parameters, as Adam is given "
            "it (docs/record.md).")),
        ("Update-to-weight ratios", per_layer_lines(record, "update_ratio", "|Δθ| / |θ|", rule=RULE_OF_THUMB) + note(
            f"How far Adam moves each layer's weights per step, relative to their size; the dashed line is "
            f"{RULE_OF_THUMB:g}.")),
        ("The gradient G's images get", images_gradient(record) + note(
            "G learns only from dL_G/dG(z): near cosine 1 every image is pushed the same way; a spread near 0 is "
            "one glyph (MNIST's own images: 0.38).")),
        ("Activations", per_layer_lines(record, "act_std", "spread of the activations") +
         per_layer_lines(record, "dead", "share of dead units", log_scale=False)),
    ]
    if any(c.endswith("/sigma") for c in record):
        sections.append(("Spectral norm", per_layer_lines(record, "sigma", "σ(w), the largest singular value")))
    return sections


def samples_section(run):
    grids = sorted(run.glob("samples_epoch_*.png"))
    if not grids:
        return note("No sample grid yet.")
    return "".join(f"<figure>{picture(p.read_bytes(), p.name, width=240)}<figcaption>{html.escape(p.stem)}"
                   f"</figcaption></figure>" for p in grids)


def scores_section(run):
    reports = sorted(load_scores(run), key=lambda r: (r["epoch"], r["generator"]))
    if not reports:
        return note(f"No scores yet: <code>python -m minigan evaluate --checkpoint "
                    f"{html.escape(str(run))}/weights_epoch_*.npz</code> keeps them in {SCORES} here.")
    head = "".join(f"<th>{h}</th>" for h in ("epoch", "generator", "samples", "FID", "FID floor", "class entropy",
                                             "confident"))
    body = "".join(f"<tr><td>{r['epoch']}</td><td>{html.escape(r['generator'])}</td><td>{r['n']}</td>"
                   f"<td>{r['fid']:.3f}</td><td>{r['fid_train_vs_test']:.3f}</td><td>{r['class_entropy']:.3f}</td>"
                   f"<td>{r['confident_fraction']:.3f}</td></tr>" for r in reports)
    fig, axes = figure(1, 1)
    ax = axes[0][0]
    for generator in sorted({r["generator"] for r in reports}):
        mine = [r for r in reports if r["generator"] == generator]
        ax.plot([r["epoch"] for r in mine], [r["fid"] for r in mine], marker="o", label=f"{generator} G")
    ax.set_xlabel("epoch")
    ax.set_ylabel("FID (lower is better)")
    ax.legend()
    fig.tight_layout()
    return f"<table><tr>{head}</tr>{body}</table>" + picture(png_bytes(fig), "FID by epoch") + note(
        "FID in the classifier's feature space against the MNIST test set; the floor is training images' own "
        "(docs/scores.md); class entropy ln 10 = 2.303 when every digit is as frequent.")


def page(run):
    sections = [("Settings", settings_section(run)), ("Losses and D's outputs", losses_section(run)),
                *record_sections(run), ("Samples by epoch", samples_section(run)), ("Scores", scores_section(run))]
    body = "".join(f"<section><h2>{html.escape(title)}</h2>{content}</section>" for title, content in sections)
    title = f"minigan training report: {html.escape(run.name)}"
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>\n")


def write_report(run_dir):
    """Write RUN/training_report.html -> its path. Refused unless run_dir holds a run."""
    run = Path(run_dir)
    if not (run / "checkpoint.npz").is_file() or not (run / "losses.csv").is_file():
        raise UsageError(f"{run} holds no run (no checkpoint.npz and losses.csv); give the folder "
                         f"`python -m minigan train --out` wrote")
    text = page(run)
    atomic_write(run / REPORT, lambda f: f.write(text.encode()))
    return run / REPORT
