"""Sample and interpolate in z from a saved checkpoint: each row walks a straight line
between two noise vectors; the columns are G's images along the way.

    python examples/interpolate.py --checkpoint runs/gan/checkpoint.npz [--rows 8] [--steps 10] [--out interp.png]
"""

import argparse

import numpy as np

from minigan.plots import save_grid
from minigan.weights import load_gan


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--rows", type=int, default=8)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, choices=["cpu", "cuda"], help="default: the checkpoint's")
    p.add_argument("--out", default="interpolation.png")
    args = p.parse_args(argv)
    gan, config, meta = load_gan(args.checkpoint, device=args.device)
    rng = np.random.default_rng(args.seed)
    ends = rng.standard_normal((2, args.rows, config.z_dim))
    alphas = np.linspace(0, 1, args.steps)
    z = ((1 - alphas[None, :, None]) * ends[0][:, None] + alphas[None, :, None] * ends[1][:, None])
    images = gan.sample(z.reshape(-1, config.z_dim).astype(config.dtype))
    save_grid(images, args.out, ncols=args.steps)
    print(f"wrote {args.rows} interpolations of {args.steps} steps from {args.checkpoint} (epoch {meta['epoch']}) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
