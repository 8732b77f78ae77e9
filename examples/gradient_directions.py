"""What G is told when D wins: the direction of D's gradient to each fake sample.

    python examples/gradient_directions.py RUN/weights_epoch_010.npz [more checkpoints] [--n 256]
    python examples/gradient_directions.py --trace documented [--steps 1875] [--every 25]

The second form trains a fresh GAN (the trainer's init, data order and noise for --seed) and
prints the same numbers every --every steps through its first epoch, where the documented
recipe collapses: whether D's gradients line up before the samples lose their spread, or
after, separates cause from effect.

G learns only from dL_G/dfake, the (N, 28, 28, 1) gradient D's backward hands back in the
G step (docs/training-step.md). For N samples of a generator this prints
    D(G(z))      mean probability D gives the fakes
    |g|          mean per-sample norm of dL_G/dfake (L_G summed, not averaged, over samples)
    cos(g)       mean cosine between the gradients of two different samples: near 1, every
                 z is pushed the same way, toward the one image D likes best; near 0, each
                 sample is moved on its own
    spread       per-pixel standard deviation across the samples, averaged over pixels:
                 0 for one glyph; MNIST test images (in [-1, 1]) give 0.38
D runs in inference mode (no dropout), so the numbers are a property of the weights. They
are the flight recorder's (minigan/record.py, image_statistics), which `train --record` takes
of every recorded step's own batch in training mode.
"""

import argparse

import numpy as np

from minigan.config import TrainConfig
from minigan.data import load_mnist, to_gan_range
from minigan.recipes import RECIPES
from minigan.record import image_statistics, image_sums
from minigan.train import epoch_batches
from minigan.weights import build_gan, load_gan


def gradient_report(gan, z):
    ops = gan.ops
    fake = ops.to_device(gan.sample(z))  # (N, 28, 28, 1), G in inference mode
    gan.D.eval_mode()
    try:
        logits = gan.D.forward(fake)  # (N, 1)
        ones = ops.to_device(np.ones(logits.shape, dtype=gan.dtype))
        dlogits = ops.to_device(ops.to_host(ops.bce_with_logits_backward(logits, ones)) * len(z))  # summed loss
        dfake = ops.to_host(gan.D.backward(dlogits, param_grads=False))  # (N, 28, 28, 1)
    finally:
        gan.D.train_mode()
    p = 1 / (1 + np.exp(-ops.to_host(logits).astype(np.float64)))
    images = image_statistics(image_sums(ops.to_host(fake), dfake))
    return {"d_fake": float(p.mean()), "grad_norm": images["fake_grad_norm"], "cos_grad": images["fake_grad_cos"],
            "spread": images["fake_spread"]}


def trace(recipe, steps, every, n, seed, data=None):
    """Train recipe from scratch for `steps` steps; report every `every` steps (and at step 0)."""
    config = TrainConfig(recipe=recipe, seed=seed)
    images, _ = load_mnist("train", data)
    rng = np.random.default_rng(config.seed)
    gan = build_gan(config, rng)
    z_eval = np.random.default_rng([seed, 2]).standard_normal((n, config.z_dim)).astype(config.dtype)
    print(f"{'step':>6} {'D(G(z))':>8} {'|g|':>9} {'cos(g)':>7} {'spread':>7}   recipe {recipe!r}, seed {seed}")
    batches = epoch_batches(rng, to_gan_range(images), config.batch_size, config.z_dim, config.dtype)
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            r = gradient_report(gan, z_eval)
            print(f"{step:>6} {r['d_fake']:>8.3f} {r['grad_norm']:>9.3g} {r['cos_grad']:>7.3f} {r['spread']:>7.3f}", flush=True)
        if step < steps:
            _, real, z = next(batches)
            gan.train_step(real, z)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="*", help="checkpoint.npz or weights_epoch_NNN.npz files")
    p.add_argument("--trace", choices=sorted(RECIPES), help="train this recipe from scratch and trace its first steps")
    p.add_argument("--steps", type=int, default=1875, help="with --trace: steps to train (default: one epoch)")
    p.add_argument("--every", type=int, default=25, help="with --trace: steps between reports")
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data")
    args = p.parse_args(argv)
    if args.trace:
        trace(args.trace, args.steps, args.every, args.n, args.seed, args.data)
        return 0
    if not args.checkpoints:
        p.error("give checkpoints, or --trace RECIPE")
    print(f"{'checkpoint':<48} {'recipe':<12} {'epoch':>5} {'D(G(z))':>8} {'|g|':>9} {'cos(g)':>7} {'spread':>7}")
    for path in args.checkpoints:
        gan, config, meta = load_gan(path)
        z = np.random.default_rng(args.seed).standard_normal((args.n, config.z_dim)).astype(config.dtype)
        r = gradient_report(gan, z)
        print(f"{path:<48} {config.recipe:<12} {meta['epoch']:>5} {r['d_fake']:>8.3f} {r['grad_norm']:>9.3g} "
              f"{r['cos_grad']:>7.3f} {r['spread']:>7.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
