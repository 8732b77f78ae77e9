"""Train the PyTorch twin (benchmarks/torch_twin.py) the way `python -m minigan train` trains
minigan, and write the same artifacts, so `python -m minigan evaluate` scores both engines
with one classifier (docs/deviations.md, "minigan against its PyTorch twin").

    python -m benchmarks.train_twin --seed 0 --epochs 50 --out runs/twin-seed0

With the same seed the twin starts from minigan's initial weights and sees minigan's data
order, noise and dropout masks: every random number comes from one NumPy generator consumed
in the trainer's order (minigan/train.py). Only floating-point round-off differs, and a GAN
amplifies it, so the two runs drift apart; the scores, not the weights, are compared.

Writes to --out: losses.csv (as minigan's), weights_epoch_NNN.npz every sample interval
(minigan's weights format, engine "pytorch"), and samples_epoch_NNN.png drawn by minigan
from those weights with the run's fixed noise.
"""

import argparse
import time
import warnings

import numpy as np
import torch  # first: PyTorch trains here, under the OpenMP runtime's default policy (benchmarks/conftest.py)

# minigan's kernels only build the initial weights here, so their warning about torch-first does not apply
warnings.filterwarnings("ignore", message="the OpenMP runtime was loaded before", category=RuntimeWarning)
import kernels.cpu as K  # noqa: E402
from benchmarks.torch_twin import TwinGAN  # noqa: E402
from minigan.config import TrainConfig  # noqa: E402
from minigan.data import load_mnist, to_gan_range  # noqa: E402
from minigan.files import atomic_write  # noqa: E402
from minigan.gan import GAN  # noqa: E402
from minigan.recipes import RECIPES, parse_recipe_change  # noqa: E402
from minigan.train import LOG_FIELDS, Run, epoch_batches, epoch_means, fixed_noise, write_table  # noqa: E402
from minigan.weights import import_weights  # noqa: E402


def save_twin_state(path, twin, rng, epoch, rows):
    """The twin's whole state after `epoch`, atomically (a crash keeps the last good one)."""
    state = {"epoch": epoch, "rng": rng.bit_generator.state, "rows": rows, "G": twin.G.state_dict(),
             "D": twin.D.state_dict(), "opt_g": twin.opt_g.state_dict(), "opt_d": twin.opt_d.state_dict(),
             "G_ema": twin.G_ema.state_dict() if twin.G_ema is not None else None,
             "draws": [getattr(m, "draws", 0) for m in twin.D.drops]}
    atomic_write(path, lambda f: torch.save(state, f))


def load_twin_state(path, twin, rng):
    """-> (the epoch it was written after, the log rows so far); restores twin and rng."""
    state = torch.load(path, weights_only=False)
    for name in ("G", "D", "opt_g", "opt_d"):
        getattr(twin, name).load_state_dict(state[name])
    if twin.G_ema is not None:
        twin.G_ema.load_state_dict(state["G_ema"])
    for m, draws in zip(twin.D.drops, state["draws"]):
        m.draws = draws
    rng.bit_generator.state = state["rng"]
    return state["epoch"], state["rows"]


def train_twin(config, out_dir, data=None, threads=1, log=print, resume=False):
    """resume: continue from out_dir/twin_checkpoint.pt (written after every epoch), bit for bit."""
    images, _ = load_mnist("train", data)
    if config.limit:
        images = images[:config.limit]
    config.validate(len(images))
    x_all = to_gan_range(images)
    n, B = len(x_all), config.batch_size
    steps_per_epoch = n // B
    torch.set_num_threads(threads)

    run = Run(out_dir)
    rng = np.random.default_rng(config.seed)
    recipe = config.recipe_spec()
    viewer = GAN(recipe, rng, K)  # draws the initial weights exactly as minigan's trainer does
    twin = TwinGAN.from_recipe({k: v.copy() for k, v in viewer.named_arrays().items()}, recipe,
                               mask_keys=[layer.key for layer in viewer.dropouts()],
                               lr=config.lr, beta1=config.beta1, beta2=config.beta2, eps=config.eps)
    noise = fixed_noise(config)
    checkpoint = run.dir / "twin_checkpoint.pt"
    start, rows = load_twin_state(checkpoint, twin, rng) if resume else (0, [])
    if not resume:
        run.save_samples(viewer, noise, 0)
    log(f"training the PyTorch twin, recipe {config.recipe!r}, seed {config.seed}, {threads} thread(s)"
        + (f", resumed after epoch {start}" if resume else ""))
    for epoch in range(start + 1, config.epochs + 1):
        t0 = time.perf_counter()
        for s, real, z in epoch_batches(rng, x_all, B, config.z_dim, np.float32):
            rows.append({"epoch": epoch, "step": (epoch - 1) * steps_per_epoch + s + 1, **twin.train_step(real, z)})
        seconds = time.perf_counter() - t0
        mean = epoch_means(rows[-steps_per_epoch:])
        log(f"epoch {epoch}/{config.epochs}  d_loss {mean['d_loss']:.4f}  g_loss {mean['g_loss']:.4f}  "
            f"D(G(z)) {mean['d_fake']:.3f}  {steps_per_epoch / seconds:.1f} steps/s")
        if epoch % config.sample_interval == 0 or epoch == config.epochs:
            import_weights(viewer, twin.weights())
            viewer.estimate_average_statistics()  # the averaged G's BatchNorm statistics, as minigan's trainer measures them
            run.save_weights({k: v.copy() for k, v in viewer.named_arrays().items()}, config, epoch, engine="pytorch")
            run.save_samples(viewer, noise, epoch)
            write_table(run.log, LOG_FIELDS, rows)
        save_twin_state(checkpoint, twin, rng, epoch, rows)
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = TrainConfig()
    p.add_argument("--recipe", default=defaults.recipe, choices=sorted(RECIPES))
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", dest="changes",
                   help="change one field of the recipe, as train --set does; repeatable")
    p.add_argument("--epochs", type=int, default=defaults.epochs)
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--sample-interval", type=int, default=defaults.sample_interval)
    p.add_argument("--threads", type=int, default=1, help="torch threads (minigan's full runs used 1 each)")
    p.add_argument("--data")
    p.add_argument("--out", required=True)
    p.add_argument("--resume", action="store_true", help="continue the run in --out after its last epoch")
    args = p.parse_args(argv)
    changes = dict(parse_recipe_change(c) for c in args.changes or ())
    config = TrainConfig(epochs=args.epochs, seed=args.seed, recipe=args.recipe, limit=args.limit,
                         sample_interval=args.sample_interval, recipe_changes=changes)
    train_twin(config, args.out, args.data, args.threads, resume=args.resume)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
