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
    record.csv, events.out.tfevents.*
                               with --record N: the flight recorder's statistics every N steps
                               (minigan/record.py), as a table and as TensorBoard's event files
A run folder is protected (minigan/runfolder.py): a previous run in it is never overwritten
unless asked (--overwrite), and two runs never write into it at once.
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

from minigan import backends
from minigan.checkpoint import load_checkpoint, save_checkpoint
from minigan.config import TrainConfig
from minigan.data import load_mnist, to_gan_range
from minigan.distributed import World
from minigan.event_files import EventWriter, check_installed
from minigan.files import atomic_write
from minigan.plots import save_grid, save_loss_curves
from minigan.progress import Progress
from minigan.record import TABLE, Recorder, columns, recorded
from minigan.runfolder import RunFolder
from minigan.runtime import follow_load
from minigan.validate import CheckpointError, UsageError, checkpoint_arrays
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


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM during a run; the message names the checkpoint kept, if one was written."""


def fixed_noise(config):
    """The noise behind every sample grid of a run; its own RNG, so the training RNG is untouched."""
    return np.random.default_rng([config.seed, 1]).standard_normal((config.n_samples, config.z_dim)).astype(config.dtype)


def read_table(path, fields, up_to_epoch, steps):
    """The rows of epochs 1..up_to_epoch of one of the run's tables (losses.csv, record.csv),
    none if it is absent; refused unless its header is ``fields`` and those rows hold exactly
    ``steps``, whole."""
    if not path.is_file():
        return []
    fix = ("it is rewritten whole with every checkpoint, so it was changed since: restore it, or delete it to "
           "resume without the rows written so far")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != fields:
            raise CheckpointError(f"{path}: its header is {reader.fieldnames}, not {fields}; {fix}")
        try:
            rows = [{k: (int(v) if k in ("epoch", "step") else float(v)) for k, v in r.items()} for r in reader]
        except (TypeError, ValueError):
            raise CheckpointError(f"{path}: line {reader.line_num} is cut short or not numbers; {fix}") from None
    rows = [r for r in rows if r["epoch"] <= up_to_epoch]
    if [r["step"] for r in rows] != list(steps):
        raise CheckpointError(f"{path} holds {len(rows)} steps of epochs 1..{up_to_epoch}, the checkpoint's "
                              f"{len(steps)}; {fix}")
    return rows


def write_table(path, fields, rows):
    """Rewrite a whole table (atomically, via a temp file): rows past a resumed checkpoint vanish."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: (repr(r[k]) if isinstance(r[k], float) else r[k]) for k in fields})
    atomic_write(path, lambda f: f.write(buf.getvalue().encode()))


class Run:
    """The run folder and its artifacts."""

    def __init__(self, out_dir):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint = self.dir / "checkpoint.npz"
        self.log = self.dir / "losses.csv"
        self.record = self.dir / TABLE

    def save_samples(self, gan, noise, epoch):
        save_grid(gan.sample(noise), self.dir / f"samples_epoch_{epoch:03d}.png", ncols=8)

    def save_weights(self, weights, config, epoch, engine="minigan"):
        """weights: {"G/dense1/w": host array, ...} (minigan/weights.py layout)."""
        save_checkpoint(self.dir / f"weights_epoch_{epoch:03d}.npz", weights,
                        run_meta(config, epoch, engine=engine, format=WEIGHTS_FORMAT))

    def save(self, gan, rng, config, epoch, rows, recorder=None):
        """The checkpoint of `epoch`, after the tables that hold its steps: a checkpoint on disk
        always has its rows (a table may hold more, of steps past it, which a resume drops)."""
        write_table(self.log, LOG_FIELDS, rows)
        if recorder is not None:
            recorder.events.flush()  # the event files hold every step up to this checkpoint
            write_table(self.record, recorder.header, recorder.rows)
        meta = run_meta(config, epoch, rng=rng.bit_generator.state, format=CHECKPOINT_FORMAT)
        save_checkpoint(self.checkpoint, gan.state(), meta)
        if rows:
            save_loss_curves(rows, self.dir / "losses.png", title=f"minigan, recipe {config.recipe!r}")


def resume_config(run_dir, overrides):
    """The checkpoint's config, with `epochs` (and only settings equal to it) overridable."""
    path = Path(run_dir) / "checkpoint.npz"
    _, meta = load_checkpoint(path)
    resumable(path, meta)
    saved = dataclasses.asdict(config_from_meta(meta, path))
    for key, value in overrides.items():
        if value is None or key == "epochs":
            continue
        if saved.get(key) != value:
            raise UsageError(f"--resume continues a run with its own settings; it was trained with "
                             f"{key}={saved.get(key)!r}, not {value!r}. Drop that option, or start a new --out folder")
    if overrides.get("epochs") is not None:
        saved["epochs"] = overrides["epochs"]
    return TrainConfig(**saved)


def resumable(path, meta):
    """Refuse a file that is not a training checkpoint (a weights file, the classifier, ...)."""
    if meta.get("format") == WEIGHTS_FORMAT:
        raise CheckpointError(f"{path} is a weights file (no Adam or RNG state), so training cannot resume from it; "
                              f"restore the run's own checkpoint.npz, or sample and evaluate with this file")
    if meta.get("format") != CHECKPOINT_FORMAT or not {"epoch", "config", "rng"} <= meta.keys():
        raise CheckpointError(f"{path} is not a minigan training checkpoint (format {meta.get('format')!r}); "
                              f"restore the run's own checkpoint.npz, or start afresh with --overwrite")


def train(config, out_dir, data=None, resume=False, log=print, world=None, ops=None, overwrite=False):
    """Train per `config`, writing artifacts to `out_dir`. Returns the list of per-step rows.
    ops: the kernels to train with, if not the device's (train --kernels). resume continues
    the run in out_dir; overwrite deletes it first; without either, a folder holding a run is
    refused (minigan/runfolder.py).

    world: the ranks of a data-parallel run (minigan/distributed.py). Every rank runs this
    same loop on the same random streams, trains on its shard of each batch, and ends with
    the same weights; rank 0 alone logs and writes."""
    world = world or World(None)
    config.check()
    if config.record:
        check_installed()  # the record extra: refused before anything else, on every rank alike
    images, _ = world.root_first(lambda: load_mnist("train", data))
    if config.limit:
        images = images[:config.limit]
    config.validate(len(images), world.size)
    ops = ops or backends.get(config.device)  # a device that is not there is refused before the folder is touched
    folder = world.root_decides(lambda: RunFolder.claim(out_dir, resume, overwrite), UsageError)
    kept = []  # the epochs whose checkpoint is on disk, for an interruption's message
    recorders = []  # train_in's recorder, whose event file is closed however the run ends
    try:
        return train_in(Path(out_dir), folder, config, images, resume, log, world, ops, kept, recorders)
    except KeyboardInterrupt:
        run = Path(out_dir) / "checkpoint.npz"
        raise TrainingInterrupted(
            f"interrupted; the last good checkpoint (epoch {kept[-1]}) is kept at {run}: continue with --resume"
            if kept else f"interrupted before the first checkpoint was written, so there is nothing to resume; "
                         f"start again (with --overwrite if {Path(out_dir)} holds files of this try)") from None
    finally:
        for recorder in recorders:
            if recorder.events is not None:
                recorder.events.close()
        if folder is not None:
            folder.release()


def train_in(out_dir, folder, config, images, resume, log, world, ops, kept, recorders):
    """train()'s run on ``images`` in out_dir, claimed as ``folder`` by rank 0 (None on the other
    ranks, which write nothing); appends to ``kept`` the epoch of every checkpoint written, and
    to ``recorders`` the run's Recorder (--record)."""
    root = world.is_root
    log = log if root else (lambda *_: None)
    x_all = to_gan_range(images, np.dtype(config.dtype))
    n, B = len(x_all), config.batch_size
    steps_per_epoch = n // B  # the remainder (n mod B images) is left out of each epoch's shuffle
    world.split_batch(B)

    rng = np.random.default_rng(config.seed)
    gan = build_gan(config, rng, world, ops)
    noise = fixed_noise(config)
    run = Run(out_dir) if root else None
    checkpoint = out_dir / "checkpoint.npz"
    recorded_rows = []
    if resume:
        arrays, meta = load_checkpoint(checkpoint)
        resumable(checkpoint, meta)
        checkpoint_arrays(checkpoint, arrays, gan.state())  # before the first write: a bad file leaves no trace
        start = meta["epoch"]
        rows = read_table(out_dir / "losses.csv", LOG_FIELDS, start, range(1, start * steps_per_epoch + 1))
        if config.record:
            recorded_rows = read_table(run.record, columns(gan), start, [
                s for s in range(1, start * steps_per_epoch + 1) if recorded(s, config.record)]) if root else []
        gan.load_state(arrays)
        rng.bit_generator.state = meta["rng"]
        kept.append(start)
        log(f"resuming {out_dir} at epoch {start}")
    else:
        start, rows = 0, []
        gan.estimate_average_statistics()  # before every write: what the averaged G samples with
        if root:
            folder.discard_previous()  # --overwrite: only now, once every setting has been checked
            run.save_samples(gan, noise, 0)
            run.save(gan, rng, config, 0, rows)
            kept.append(0)
    recorder = None
    if config.record:
        events = EventWriter(out_dir, start * steps_per_epoch + 1) if root else None
        recorder = Recorder(config.record, gan, world, recorded_rows, events)
        recorders.append(recorder)
    if world.parallel:
        log(f"data-parallel over {world.size} ranks, {B}/{world.size} = {world.per_rank_batch} images per rank")
    changes = "".join(f", {k}={v}" for k, v in config.recipe_changes.items())
    log(f"training recipe {config.recipe!r}{changes}: {n} images, batch {B}, {steps_per_epoch} steps/epoch, "
        f"epochs {start + 1}..{config.epochs}, seed {config.seed}, {config.dtype} on {config.device}"
        + backends.precision_note(config.precision)
        + (f", {numba.get_num_threads()} thread(s)" if config.device == "cpu" else ""))

    for epoch in range(start + 1, config.epochs + 1):
        progress = Progress(steps_per_epoch, f"epoch {epoch}/{config.epochs}", enabled=None if root else False)
        t0 = time.perf_counter()
        for s, real, z in epoch_batches(rng, x_all, B, config.z_dim, config.dtype):
            follow_load()  # fewer threads while other processes keep cores busy (minigan/runtime.py)
            step = (epoch - 1) * steps_per_epoch + s + 1
            watch = recorder.watch(step) if recorder else None
            out = gan.train_step(world.shard(real), world.shard(z), watch)
            if not (np.isfinite(out["d_loss"]) and np.isfinite(out["g_loss"])):
                progress.close()
                raise TrainingDiverged(
                    f"loss became non-finite at epoch {epoch}, step {s + 1}: d_loss={out['d_loss']}, "
                    f"g_loss={out['g_loss']}. Stopped; the last good checkpoint (epoch {epoch - 1}) is kept "
                    f"at {checkpoint}. Try a lower --lr or another recipe; --resume restarts "
                    f"from that checkpoint.")
            if watch is not None:
                recorder.keep(watch, step, epoch, out)
            rows.append({"epoch": epoch, "step": step, **out})
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
        run.save(gan, rng, config, epoch, rows, recorder)
        kept.append(epoch)
    return rows
