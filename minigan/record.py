"""The flight recorder (train --record N): what the training step does inside, every N steps.

On the steps 1, N + 1, 2N + 1, ... the GAN lets a StepWatch look at its step (GAN.train_step):
the activations its forwards kept in the layers' caches, the gradients handed to Adam, the
weights just before and after Adam's move, and the gradient D hands back to G's images. No
extra forward or backward runs. One row a recorded step goes to

    RUN/record.csv                 a plain table, rewritten with every checkpoint (as losses.csv)
    RUN/events.out.tfevents.*      TensorBoard's event files (minigan/event_files.py), written as
                                   the rows come: tensorboard --logdir RUN

Columns (docs/record.md gives each formula):
    step, epoch
    d_real, d_fake                 D(x), D(G(z)): mean probability D gave the batch's real and fake
                                   images in the D step
    fake_grad_norm                 mean over the fakes of |dL_G/dG(z)_i| (L_G summed over samples)
    fake_grad_cos                  mean cosine between two different fakes' gradients
    fake_spread                    per-pixel standard deviation across the fakes, averaged over pixels
    <net>/<layer>/<statistic>      per layer with parameters of G and D (G/dense1, D/conv3, ...):
        grad_norm, weight_norm     |gradient| and |weights| over all of the layer's parameters
        update_ratio               |weights after Adam's step - before| / |before|
        act_mean, act_std          mean and standard deviation of the layer's output (after the
                                   activation it applies) over the whole batch
        dead                       (layers ending in relu or leaky_relu) the share of units
                                   (features, or a convolution's channels) never positive in the batch
        sigma                      (spectrally normalised layers) the sigma the D step divided by
D's activations are those of the D step's [real; fake] batch, G's those of G(z).

Under mpiexec each rank sums what its shard saw; one allreduce of those sums a recorded step
makes the statistics the whole batch's, which rank 0 writes.

Reading a record back:
    columns = load("runs/gan")                   {"step": array, "G/dense1/grad_norm": array, ...}
    names, values = layer_series(columns, "D", "grad_norm")   layer names, (layers, rows) array
"""

import csv
from pathlib import Path

import numpy as np

from minigan.layers import WeightLayer

DEFAULT_INTERVAL = 100  # train --record without N
TABLE = "record.csv"
STEP_COLUMNS = ("d_real", "d_fake", "fake_grad_norm", "fake_grad_cos", "fake_spread")
LAYER_STATISTICS = ("grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "dead", "sigma")
NETS = ("G", "D")


def recorded(step, interval):
    """Whether step (1-based, counted over the whole run) is one the recorder keeps: 1, N + 1, ..."""
    return (step - 1) % interval == 0


def recorded_layers(net):
    """The layers of net with parameters (Dense, Conv2D, BatchNorm): the ones a record has rows for."""
    return [layer for layer in net.layers if layer.params]


def rectified(layer):
    """Whether the layer's output passes through relu or leaky_relu (its own fused activation)."""
    return layer.spec.activation.kind in ("relu", "leaky_relu")


def statistics_of(layer):
    """The statistics recorded for one layer, in their column order."""
    return [s for s in LAYER_STATISTICS
            if (s != "dead" or rectified(layer)) and (s != "sigma" or spectrally_normalised(layer))]


def spectrally_normalised(layer):
    """Whether layer divides its kernel by sigma (only Dense and Conv2D can)."""
    return hasattr(layer, "spectral_norm") and layer.spectral_norm


def columns(gan):
    """The record's header for this GAN: the same for every run of one recipe."""
    names = ["step", "epoch", *STEP_COLUMNS]
    for net_name in NETS:
        for layer in recorded_layers(getattr(gan, net_name)):
            names += [f"{net_name}/{layer.name}/{s}" for s in statistics_of(layer)]
    return names


def sum_of_squares(a):
    """The sum of a host array's squared entries, in its dtype. (einsum runs on this thread:
    BLAS's dot would wake a pool of threads for each of the record's many small sums.)"""
    flat = a.ravel()
    return float(np.einsum("i,i->", flat, flat))


# -- what one shard of a batch contributes: sums the ranks add up --------------------------

def activation_sums(y):
    """A layer's output y (N, ..., C) -> [count, sum, sum of squares, then per unit (C,) the
    count of positive entries]: what a mean, a standard deviation and the dead units of the
    whole batch are made of."""
    flat = y.reshape(-1, y.shape[-1])  # (entries per unit, C)
    return np.concatenate([[flat.size, flat.sum(dtype=np.float64), sum_of_squares(flat)],
                           np.count_nonzero(flat > 0, axis=0)])


def activation_statistics(sums):
    """activation_sums added over the shards -> (mean, standard deviation, share of dead units)."""
    n, total, squares, positive = sums[0], sums[1], sums[2], sums[3:]
    mean = total / n
    return mean, np.sqrt(max(squares / n - mean * mean, 0.0)), float(np.mean(positive == 0))


def image_sums(fake, dfake):
    """fake (n, 28, 28, 1) images and dfake, each image's own gradient of the loss (for the
    loss summed over samples) -> [n, sum_i |g_i|, sum_i |u_i|^2, sum_i u_i (P,), sum_i x_i (P,),
    sum_i x_i^2 (P,)] with u_i = g_i / |g_i| (0 where g_i is) and P pixels: what the mean
    gradient norm, the mean pairwise cosine and the spread of the whole batch are made of."""
    g = dfake.reshape(len(dfake), -1).astype(np.float64)  # (n, P)
    x = fake.reshape(len(fake), -1).astype(np.float64)
    norms = np.linalg.norm(g, axis=1)
    unit = g / np.where(norms > 0, norms, 1.0)[:, None]
    return np.concatenate([[len(g), norms.sum(), sum_of_squares(unit)], unit.sum(axis=0), x.sum(axis=0),
                           (x * x).sum(axis=0)])


def image_statistics(sums):
    """image_sums added over the shards -> {fake_grad_norm, fake_grad_cos, fake_spread}.
    The mean cosine over the n(n - 1) ordered pairs i != j is
    (|sum_i u_i|^2 - sum_i |u_i|^2) / (n (n - 1)): the Gram matrix's sum less its trace."""
    n, norm_sum, unit_squares = sums[:3]
    pixels = (len(sums) - 3) // 3
    unit_sum, x_sum, x_squares = sums[3:3 + pixels], sums[3 + pixels:3 + 2 * pixels], sums[3 + 2 * pixels:]
    mean = x_sum / n
    spread = np.sqrt(np.maximum(x_squares / n - mean * mean, 0.0)).mean()
    cos = (sum_of_squares(unit_sum) - unit_squares) / (n * (n - 1)) if n > 1 else float("nan")
    return {"fake_grad_norm": float(norm_sum / n), "fake_grad_cos": float(cos), "fake_spread": float(spread)}


def squared_norm(arrays):
    """The sum of squares over every entry of the host arrays."""
    return sum(sum_of_squares(a) for a in arrays)


class StepWatch:
    """One recorded step, seen from inside GAN.train_step: before_update and after_update
    around each net's Adam step, images after D's backward of the G step."""

    def __init__(self, ops):
        self.ops = ops
        self.local = []  # (name, sums) this shard contributes, added over the ranks in Recorder.keep
        self.values = {}  # column -> value, the same on every rank (weights, gradients, sigma)
        self.before = {}

    def before_update(self, net_name, net, grads):
        """net's caches hold this step's forward, grads what Adam is about to be given."""
        for layer in recorded_layers(net):
            key = f"{net_name}/{layer.name}"
            params = list(layer.params.values())
            self.values[f"{key}/grad_norm"] = np.sqrt(squared_norm([self.ops.to_host(grads[f"{layer.name}/{k}"])
                                                                    for k in layer.params]))
            self.before[key] = [np.array(self.ops.to_host(p)) for p in params]  # a copy: Adam moves p in place
            self.values[f"{key}/weight_norm"] = np.sqrt(squared_norm(self.before[key]))
            self.local.append((key, activation_sums(self.ops.to_host(layer.cache.y))))
            if isinstance(layer, WeightLayer) and layer.spectral_norm:
                self.values[f"{key}/sigma"] = float(np.asarray(self.ops.to_host(layer.sigma)).reshape(-1)[0])

    def after_update(self, net_name, net):
        for layer in recorded_layers(net):
            key = f"{net_name}/{layer.name}"
            moved = squared_norm([self.ops.to_host(p) - old for p, old in zip(layer.params.values(),
                                                                              self.before.pop(key))])
            norm = self.values[f"{key}/weight_norm"]
            self.values[f"{key}/update_ratio"] = np.sqrt(moved) / norm if norm else float("nan")

    def images(self, fake, dfake):
        """fake: G(z), this shard's; dfake: the gradient of the G step's loss (the mean over
        this shard's rows) with respect to it, so each image's own gradient is rows * dfake."""
        fake, dfake = self.ops.to_host(fake), self.ops.to_host(dfake)
        self.local.append(("images", image_sums(fake, dfake * len(dfake))))


class Recorder:
    """Watches every N-th step, keeps its row, and writes the rows (rank 0)."""

    def __init__(self, interval, gan, world, rows=(), events=None):
        """rows: the rows recorded before a resumed checkpoint; events: an EventWriter
        (minigan/event_files.py) on rank 0, else None."""
        self.interval, self.gan, self.world, self.events = interval, gan, world, events
        self.header = columns(gan)
        self.rows = list(rows)
        self.kinds = {f"{n}/{layer.name}": rectified(layer) for n in NETS
                      for layer in recorded_layers(getattr(gan, n))}

    def watch(self, step):
        """A StepWatch for this step if it is recorded, else None."""
        return StepWatch(self.gan.ops) if recorded(step, self.interval) else None

    def keep(self, watch, step, epoch, out):
        """The row of a watched step: its sums added over the ranks (every rank calls this),
        then the statistics; out: the step's dict (d_real, d_fake)."""
        names = [name for name, _ in watch.local]
        parts = [sums for _, sums in watch.local]
        total = np.split(self.world.summed(np.concatenate(parts)), np.cumsum([len(p) for p in parts])[:-1])
        row = {"step": step, "epoch": epoch, "d_real": out["d_real"], "d_fake": out["d_fake"], **watch.values}
        for name, sums in zip(names, total):
            if name == "images":
                row.update(image_statistics(sums))
                continue
            mean, std, dead = activation_statistics(sums)
            row.update({f"{name}/act_mean": mean, f"{name}/act_std": std})
            if self.kinds[name]:
                row[f"{name}/dead"] = dead
        row = {k: row[k] if k in ("step", "epoch") else float(row[k]) for k in self.header}
        self.rows.append(row)
        if self.events is not None:
            self.events.add(row)


def load(run_dir):
    """A run's record.csv -> {column: array}: "step" and "epoch" as int64, every other column
    (d_real, G/dense1/grad_norm, ...; the module docstring lists them) as float64, one entry a
    recorded step, in step order. Refused, naming the file, if the run has no record."""
    path = Path(run_dir) / TABLE
    if not path.is_file():
        raise FileNotFoundError(f"no record at {path}: train with --record (python -m minigan train --record "
                                f"--out {Path(run_dir)}) to write one")
    return read_columns(path)


def read_columns(path):
    """A table of numbers with a header (record.csv, losses.csv) -> {column: array}: "step" and
    "epoch" int64, the others float64."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path} is empty; the trainer rewrites it whole with every checkpoint")
        body = list(reader)
    if any(len(line) != len(header) for line in body):
        raise ValueError(f"{path}: a row has not as many fields as the header ({len(header)}); the file was cut "
                         f"short or edited")
    try:
        values = np.array(body, dtype=np.float64).reshape(len(body), len(header))
    except ValueError:
        raise ValueError(f"{path} holds a field that is not a number; the file was edited") from None
    return {name: values[:, i].astype(np.int64) if name in ("step", "epoch") else values[:, i]
            for i, name in enumerate(header)}


def layer_series(columns, net, statistic):
    """From load()'s columns: (the names of net's layers that have `statistic`, in the net's
    order, and their values as one (layers, recorded steps) array). net: "G" or "D"."""
    prefix, suffix = f"{net}/", f"/{statistic}"
    names = [c[len(prefix):-len(suffix)] for c in columns if c.startswith(prefix) and c.endswith(suffix)]
    return names, np.array([columns[f"{prefix}{n}{suffix}"] for n in names]).reshape(len(names), len(columns["step"]))
