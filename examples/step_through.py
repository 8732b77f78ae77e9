"""Step through one real GAN training step in a debugger, inside the readable engine's loops.

    python examples/step_through.py [--data DIR] [--break dense_backward]
    python -m pdb examples/step_through.py        (or your IDE's debugger on this file)

Numba compiles the readable engine's loops, and a debugger cannot stop inside compiled code;
so this script turns the compiler off (NUMBA_DISABLE_JIT=1, before anything imports Numba) and
runs the GAN's training step in plain Python on kernels.reference, on real MNIST images. Plain
Python is slow, so the nets are small (G 8-8-8, D 4-4-4 channels) and the batch is 4: the
same layers, kernels and step as the full model, just narrower. With --break NAME the debugger
stops at the first call of that readable step (kernels/reference/*.py: dense_forward,
conv2d_backward, relu_backward, batchnorm_backward, adam_update, ...); breakpoints you set
yourself in those files stop as well.
"""

import os

os.environ["NUMBA_DISABLE_JIT"] = "1"  # before numba is imported: the loops run as Python, and stop at breakpoints

import argparse  # noqa: E402
import pdb  # noqa: E402

import numpy as np  # noqa: E402

import kernels.reference  # noqa: E402
from minigan.data import load_mnist, to_gan_range  # noqa: E402
from minigan.gan import GAN  # noqa: E402
from minigan.recipes import RECIPES  # noqa: E402

BATCH = 4


def stop_in(engine, name):
    """Make the readable engine's step `name` stop in the debugger when it is first called."""
    steps = engine.ENGINE.steps
    if not hasattr(steps, name):
        raise SystemExit(f"--break {name}: no such readable step; pick one of {', '.join(sorted(vars(steps)))}")
    step = getattr(steps, name)

    def stopping(*args):
        setattr(steps, name, step)  # only the first call stops
        pdb.set_trace()  # step into the loops with `s`, then `n`, `p dx[0]`, ...
        return step(*args)

    setattr(steps, name, stopping)


def one_step(data=None, recipe="default", seed=0):
    """-> the losses of one training step of a small GAN on the readable engine, on MNIST images."""
    images = to_gan_range(load_mnist("train", data)[0][:BATCH])
    gan = GAN(RECIPES[recipe], np.random.default_rng(seed), kernels.reference, g_widths=(8, 8, 8),
              d_channels=(4, 4, 4))
    z = np.random.default_rng(seed + 1).standard_normal((BATCH, 100)).astype(np.float32)
    return gan.train_step(images, z)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="the MNIST folder (default: the loader's lookup, docs/troubleshooting.md)")
    p.add_argument("--recipe", choices=sorted(RECIPES), default="default")
    p.add_argument("--break", dest="stop", metavar="NAME", help="stop in the debugger at this readable step")
    args = p.parse_args()
    if args.stop:
        stop_in(kernels.reference, args.stop)
    losses = one_step(args.data, args.recipe)
    print("one step on the readable engine, in plain Python: " + ", ".join(f"{k} {v:.4f}" for k, v in losses.items()))


if __name__ == "__main__":
    main()
