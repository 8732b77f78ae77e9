"""Train the GAN (the default recipe unless --recipe documented). A short run by default (a few thousand images, 2 epochs,
under a minute on a laptop CPU); --full runs the documented 50 epochs on all 60000 images.

    python examples/train_gan.py [--full] [--recipe default|documented] [--device cpu|cuda] [--out DIR]

The same as `python -m minigan train`, spelled out: config -> train() -> artifacts in --out.
"""

import argparse

from minigan.config import TrainConfig
from minigan.recipes import RECIPES
from minigan.runtime import own_cores, thread_count
from minigan.train import train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="50 epochs on 60000 images (the documented run)")
    p.add_argument("--recipe", default=TrainConfig.recipe, choices=sorted(RECIPES))
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--limit", type=int, default=4096, help="images for the short run (default 4096)")
    p.add_argument("--epochs", type=int, default=2, help="epochs for the short run (default 2)")
    p.add_argument("--data", help="MNIST folder (default: $MINIGAN_DATA, else the user cache)")
    p.add_argument("--out", default="runs/example")
    args = p.parse_args(argv)
    own_cores(thread_count())  # as the CLI does: one thread count for every pool (minigan/runtime.py)
    if args.full:
        config = TrainConfig(recipe=args.recipe, device=args.device)
    else:
        config = TrainConfig(recipe=args.recipe, device=args.device, epochs=args.epochs, limit=args.limit,
                             sample_interval=1)
    train(config, args.out, data=args.data)
    print(f"samples, losses.csv, losses.png and checkpoint.npz are in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
