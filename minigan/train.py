"""The epoch loop: shuffle, step, log, and the run's artifacts.

A run folder holds
    samples_epoch_000.png ...  grids from one fixed noise batch: before training, every
                               sample interval, and at the end
    weights_epoch_010.npz ...  G and D weights (no optimizer state) at the same epochs but 0,
                               for `python -m minigan evaluate` or `sample` at any of them
    losses.csv                 one row per step: epoch, step, d_loss, g_loss, d_real, d_fake
    losses.png                 the loss curves
    checkpoint.npz             weights, Adam state, RNG state, epoch and config, rewritten
                               atomically after every epoch
Resuming from checkpoint.npz replays nothing and skips nothing: the RNG state is restored,
so the losses match an uninterrupted run bit for bit (same seed; with MKL at any thread count,
with OpenBLAS at the same one: kernels/cpu/gemm.py).
"""

import csv
import dataclasses
import io
import time
from pathlib import Path

import numba
import numpy as np

from minigan.checkpoint import load_checkpoint, save_checkpoint
from minigan.config import TrainConfig
from minigan.data import load_mnist, to_gan_range
from minigan.distributed import World
from minigan.files import atomic_write
from minigan.plots import save_grid, save_loss_curves
from minigan.progress import Progress
from minigan.runtime import follow_load
from minigan.weights import (
    CHECKPOINT_FORMAT,
    WEIGHTS_FORMAT,
    build_gan,
    config_from_meta,
    run_meta,
)

LOG_FIELDS = ["epoch", "step", "d_loss", "g_loss", "d_real", "d_fake"]


def epoch_batches(rng, x_all, batch_size, z_dim, dtype):
    """One epoch's (step index s, real batch, noise), drawn from ``rng`` in the trainer's order:
    a permutation, then one noise batch per step. The PyTorch twin's trainer consumes the same
    generator, so for one seed both engines see the same batches and noise."""
    perm = rng.permutation(len(x_all))
    for s in range(len(x_all) // batch_size):  # the remainder (n mod B images) is left out
        yield s, x_all[perm[s * batch_size:(s + 1) * batch_size]], rng.standard_normal((batch_size, z_dim)).astype(dtype)


def epoch_means(rows, keys=("d_loss", "g_loss", "d_real", "d_fake")):
    return {k: float(np.mean([r[k] for r in rows])) for k in keys}


class TrainingDiverged(RuntimeError):
    """A loss became NaN or inf; the message names the step and the checkpoint kept."""


def fixed_noise(config):
    """The noise behind every sample grid of a run; its own RNG, so the training RNG is untouched."""
    return np.random.default_rng([config.seed, 1]).standard_normal((config.n_samples, config.z_dim)).astype(config.dtype)


def read_log(path, up_to_epoch):
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        rows = [{k: (int(v) if k in ("epoch", "step") else float(v)) for k, v in r.items()} for r in csv.DictReader(f)]
    return [r for r in rows if r["epoch"] <= up_to_epoch]


def write_log(path, rows):
    """Rewrite the whole log (atomically, via a temp file): rows past a resumed checkpoint vanish."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LOG_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (repr(r[k]) if isinstance(r[k], float) else r[k]) for k in LOG_FIELDS})
    atomic_write(path, lambda f: f.write(buf.getvalue().encode()))


class Run:
    """The run folder and its artifacts."""

    def __init__(self, out_dir):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint = self.dir / "checkpoint.npz"
        self.log = self.dir / "losses.csv"

    def save_samples(self, gan, noise, epoch):
        save_grid(gan.sample(noise), self.dir / f"samples_epoch_{epoch:03d}.png", ncols=8)

    def save_weights(self, weights, config, epoch, engine="minigan"):
        """weights: {"G/dense1/w": host array, ...} (minigan/weights.py layout)."""
        save_checkpoint(self.dir / f"weights_epoch_{epoch:03d}.npz", weights,
                        run_meta(config, epoch, engine=engine, format=WEIGHTS_FORMAT))

    def save(self, gan, rng, config, epoch, rows):
        write_log(self.log, rows)
        meta = run_meta(config, epoch, rng=rng.bit_generator.state, format=CHECKPOINT_FORMAT)
        save_checkpoint(self.checkpoint, gan.state(), meta)
        if rows:
            save_loss_curves(rows, self.dir / "losses.png", title=f"minigan, recipe {config.recipe!r}")


def resume_config(run_dir, overrides):
    """The checkpoint's config, with `epochs` (and only settings equal to it) overridable."""
    _, meta = load_checkpoint(Path(run_dir) / "checkpoint.npz")
    saved = dataclasses.asdict(config_from_meta(meta))
    for key, value in overrides.items():
        if value is None or key == "epochs":
            continue
        if saved.get(key) != value:
            raise ValueError(f"--resume continues a run with its own settings; it was trained with "
                             f"{key}={saved.get(key)!r}, not {value!r}. Drop that option, or start a new --out folder")
    if overrides.get("epochs") is not None:
        saved["epochs"] = overrides["epochs"]
    return TrainConfig(**saved)


def train(config, out_dir, data=None, resume=False, log=print, world=None, ops=None):
    """Train per `config`, writing artifacts to `out_dir`. Returns the list of per-step rows.
    ops: the kernels to train with, if not the device's (train --kernels).

    world: the ranks of a data-parallel run (minigan/distributed.py). Every rank runs this
    same loop on the same random streams, trains on its shard of each batch, and ends with
    the same weights; rank 0 alone logs and writes."""
    world = world or World(None)
    root = world.is_root
    log = log if root else (lambda *_: None)
    images, _ = world.root_first(lambda: load_mnist("train", data))
    if config.limit:
        images = images[:config.limit]
    config.validate(len(images), world.size)
    x_all = to_gan_range(images, np.dtype(config.dtype))
    n, B = len(x_all), config.batch_size
    steps_per_epoch = n // B  # the remainder (n mod B images) is left out of each epoch's shuffle
    world.split_batch(B)

    run = Run(out_dir)
    rng = np.random.default_rng(config.seed)
    gan = build_gan(config, rng, world, ops)
    noise = fixed_noise(config)
    if resume:
        arrays, meta = load_checkpoint(run.checkpoint)
        gan.load_state(arrays)
        rng.bit_generator.state = meta["rng"]
        start = meta["epoch"]
        rows = read_log(run.log, start)
        log(f"resuming {run.dir} at epoch {start}")
    else:
        start, rows = 0, []
        gan.estimate_average_statistics()  # before every write: what the averaged G samples with
        if root:
            run.save_samples(gan, noise, 0)
            run.save(gan, rng, config, 0, rows)
    if world.parallel:
        log(f"data-parallel over {world.size} ranks, {B}/{world.size} = {world.per_rank_batch} images per rank")
    changes = "".join(f", {k}={v}" for k, v in config.recipe_changes.items())
    log(f"training recipe {config.recipe!r}{changes}: {n} images, batch {B}, {steps_per_epoch} steps/epoch, "
        f"epochs {start + 1}..{config.epochs}, seed {config.seed}, {config.dtype} on {config.device}"
        + (f", {numba.get_num_threads()} thread(s)" if config.device == "cpu" else ""))

    for epoch in range(start + 1, config.epochs + 1):
        progress = Progress(steps_per_epoch, f"epoch {epoch}/{config.epochs}", enabled=None if root else False)
        t0 = time.perf_counter()
        for s, real, z in epoch_batches(rng, x_all, B, config.z_dim, config.dtype):
            follow_load()  # fewer threads while other processes keep cores busy (minigan/runtime.py)
            out = gan.train_step(world.shard(real), world.shard(z))
            if not (np.isfinite(out["d_loss"]) and np.isfinite(out["g_loss"])):
                progress.close()
                raise TrainingDiverged(
                    f"loss became non-finite at epoch {epoch}, step {s + 1}: d_loss={out['d_loss']}, "
                    f"g_loss={out['g_loss']}. Stopped; the last good checkpoint (epoch {epoch - 1}) is kept "
                    f"at {run.checkpoint}. Try a lower --lr or another recipe; --resume restarts from that checkpoint.")
            rows.append({"epoch": epoch, "step": (epoch - 1) * steps_per_epoch + s + 1, **out})
            progress.update(1, f"d {out['d_loss']:.3f} g {out['g_loss']:.3f}")
        progress.close()
        seconds = time.perf_counter() - t0
        mean = epoch_means(rows[-steps_per_epoch:])
        log(f"epoch {epoch}/{config.epochs}  d_loss {mean['d_loss']:.4f}  g_loss {mean['g_loss']:.4f}  "
            f"D(x) {mean['d_real']:.3f}  D(G(z)) {mean['d_fake']:.3f}  "
            f"{steps_per_epoch / seconds:.1f} steps/s  {seconds:.1f} s")
        gan.estimate_average_statistics()
        if not root:
            continue
        if epoch % config.sample_interval == 0 or epoch == config.epochs:
            run.save_samples(gan, noise, epoch)
            run.save_weights({k: gan.ops.to_host(v) for k, v in gan.named_arrays().items()}, config, epoch)
        run.save(gan, rng, config, epoch, rows)
    return rows
