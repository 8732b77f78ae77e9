"""The averaged generator's BatchNorm statistics: three ways to set them, scored.

    python examples/ema_batchnorm.py RUN/weights_epoch_020.npz [more] [--n 10000] [--batches 100]

G_ema (Recipe.g_ema_decay, minigan/gan.py) averages G's weights, but BatchNorm's moving mean
and variance describe the activations of the network they were measured in, and G_ema's
pre-activations are not G's. Two choices for G_ema in inference mode:
    re-estimated  G_ema's own: the mean over 100 noise batches of 32 of its batch mean and
                  batch variance, measured in training mode (GAN.estimate_average_statistics,
                  what the trainer writes)
    trained G's   the trained G's own moving statistics, copied
Each is scored with `evaluate`'s yardstick (same classifier, noise and floor). A third,
averaging the statistics like the weights, was measured at commit 7cce8e1, whose runs kept
it (docs/deviations.md).
"""

import argparse

from minigan.evaluate import Yardstick
from minigan.weights import load_gan


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoints", nargs="+", help="weights_epoch_NNN.npz of a run whose recipe has g_ema_decay > 0")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--data")
    args = p.parse_args(argv)
    yardstick = Yardstick(args.n, data=args.data)
    print(f"{'checkpoint':<44} {'statistics':<13} {'FID':>7} {'entropy':>8} {'confident':>9}   "
          f"(floor {yardstick.floor:.2f}, classifier accuracy {yardstick.meta['test_accuracy']:.4f})")
    for path in args.checkpoints:
        gan, config, _ = load_gan(path, device="cpu")
        if gan.G_ema is None:
            raise SystemExit(f"{path}: its recipe keeps no moving average of G (g_ema_decay = 0)")
        for label in ("re-estimated", "trained G's"):
            if label == "re-estimated":
                gan.estimate_average_statistics()  # as the trainer does (a no-op on what it wrote)
            else:
                for k, v in gan.G.buffers().items():
                    gan.G_ema.buffers()[k][:] = v
            r = yardstick.score(yardstick.samples(gan, config.z_dim, config.dtype))
            print(f"{path:<44} {label:<13} {r['fid']:>7.1f} {r['class_entropy']:>8.3f} {r['confident_fraction']:>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
