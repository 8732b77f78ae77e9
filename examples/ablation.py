"""Recipe ablation: train variants of the documented GAN side by side and score how many
digit classes their samples cover. Each departure of the default recipe is judged by
taking it away (docs/deviations.md has the full-length numbers).

    python examples/ablation.py [--variants documented,default,...] [--epochs 1] [--limit 4096]

The score here is a quick proxy: each sample is labelled with the class of its nearest
MNIST test image (Euclidean, 5000 references), and the entropy of that label histogram is
reported (ln 10 = 2.30 for a uniform spread over the ten digits; 0 for one glyph).
"""

import argparse
import dataclasses
import time

import numpy as np

import kernels.cpu as K
from minigan.data import load_mnist, to_gan_range
from minigan.evaluate import class_histogram
from minigan.gan import GAN
from minigan.plots import save_grid
from minigan.recipes import RECIPES, Recipe
from minigan.runtime import own_cores, thread_count

DEFAULT, SHARP = RECIPES["default"], RECIPES["sharp"]
# round 3's default (docs/deviations.md): a slower D and Dropout(0.3) where `sharp` has
# spectral normalisation and the averaged G
PREVIOUS = Recipe("leaky_relu", "leaky_relu", g_batchnorm=True, d_lr_scale=0.25, d_dropout=0.3)
VARIANTS = {
    "documented": RECIPES["documented"],
    "default": DEFAULT,
    "sharp": SHARP,
    # each departure of `sharp` (round 4's default) taken away (round 5)
    "sharp-without-batchnorm": dataclasses.replace(SHARP, g_batchnorm=False),
    "sharp-without-leaky": dataclasses.replace(SHARP, g_activation="relu", d_activation="relu"),
    "sharp-without-spectral-norm": dataclasses.replace(SHARP, d_spectral_norm=False),
    "sharp-without-ema": dataclasses.replace(SHARP, g_ema_decay=0.0),
    # one departure from the documented recipe
    "batchnorm-only": Recipe(g_batchnorm=True),
    "slower-D-only": Recipe(d_lr_scale=0.25),
    "minibatch-stddev-only": Recipe(d_minibatch_std=True),
    # the earlier rounds (docs/deviations.md): pairs of the first three departures, the previous
    # default and what was tried on top of it
    "leaky+slower-D": Recipe("leaky_relu", "leaky_relu", d_lr_scale=0.25),
    "batchnorm+slower-D": Recipe(g_batchnorm=True, d_lr_scale=0.25),
    "batchnorm+leaky": Recipe("leaky_relu", "leaky_relu", g_batchnorm=True),
    "previous-default": PREVIOUS,
    "previous-default+minibatch-stddev": dataclasses.replace(PREVIOUS, d_minibatch_std=True),
    "previous-default+ema": dataclasses.replace(PREVIOUS, g_ema_decay=0.999),
    "previous-default+minibatch-stddev+ema": dataclasses.replace(PREVIOUS, d_minibatch_std=True, g_ema_decay=0.999),
}


def nearest_class_entropy(samples, ref, ref_labels):
    s = samples.reshape(len(samples), -1).astype(np.float32)
    d = (ref ** 2).sum(1)[None, :] - 2 * s @ ref.T  # squared distances up to a per-sample constant
    hist, entropy = class_histogram(ref_labels[np.argmin(d, axis=1)])
    return entropy, hist


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", default="documented,default", help=f"comma-separated, of: {', '.join(VARIANTS)}")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--limit", type=int, default=4096, help="training images (60000 for the full set)")
    p.add_argument("--samples", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data")
    p.add_argument("--out", default="runs/ablation")
    args = p.parse_args(argv)
    own_cores(thread_count())  # as the CLI does (minigan/runtime.py)
    images, _ = load_mnist("train", args.data)
    x = to_gan_range(images[: args.limit])
    test_images, test_labels = load_mnist("test", args.data)
    ref = to_gan_range(test_images[:5000]).reshape(5000, -1)
    z_eval = np.random.default_rng([args.seed, 1]).standard_normal((args.samples, 100)).astype(np.float32)
    B = 32
    print(f"{'variant':<28} {'epoch':>5} {'entropy':>8} {'d_loss':>7} {'g_loss':>7} {'D(x)':>6} {'D(G(z))':>8}  classes 0..9 (%)")
    for name in args.variants.split(","):
        rng = np.random.default_rng(args.seed)
        gan = GAN(VARIANTS[name], rng, K)
        for epoch in range(1, args.epochs + 1):
            perm, rows, t0 = rng.permutation(len(x)), [], time.perf_counter()
            for s in range(len(x) // B):
                z = rng.standard_normal((B, 100)).astype(np.float32)
                rows.append(gan.train_step(x[perm[s * B:(s + 1) * B]], z))
            samples = gan.sample(z_eval)
            ent, h = nearest_class_entropy(samples, ref, test_labels[:5000])
            m = {k: np.mean([r[k] for r in rows]) for k in rows[0]}
            print(f"{name:<28} {epoch:>5} {ent:>8.3f} {m['d_loss']:>7.3f} {m['g_loss']:>7.3f} {m['d_real']:>6.3f} "
                  f"{m['d_fake']:>8.3f}  {' '.join(f'{100 * v:.0f}' for v in h)}  ({time.perf_counter() - t0:.0f} s)")
            save_grid(samples[:64], f"{args.out}/{name}_epoch{epoch}.png", ncols=8)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
