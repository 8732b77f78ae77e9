"""What the trainer's epoch loop adds to the training step: `python -m benchmarks.trainer_overhead`.

Runs minigan.train.train (the loop `python -m minigan train` runs: batch gather, noise,
logging, progress, the per-epoch writes) on a slice of MNIST, with a stopwatch around every
train_step, and in the same process times the step the way `minigan bench` does (one batch,
over and over). Reported, per epoch after the first (the first compiles and fills the
workspaces): the loop's wall time per step, the steps' own time, and their ratios.
"""

import argparse
import json
import tempfile
import time

import numpy as np

from minigan import train as trainer
from minigan.bench import time_steps
from minigan.config import TrainConfig
from minigan.runtime import own_cores, thread_count


class StepClock:
    """Wraps the GAN train() builds: the seconds of each train_step, and when each epoch ended."""

    def __init__(self):
        self.steps = []

    def wrap(self, gan):
        step = gan.train_step

        def timed(real, z, watch=None):
            t = time.perf_counter()
            out = step(real, z, watch)
            self.steps.append(time.perf_counter() - t)
            return out

        gan.train_step = timed
        return gan


def measure(recipe, limit, epochs, data=None, bench_steps=200, precision="float32"):
    clock, epoch_ends = StepClock(), []
    build = trainer.build_gan
    trainer.build_gan = lambda *a, **k: clock.wrap(build(*a, **k))
    save = trainer.Run.save

    def save_and_mark(run, *a, **k):  # the last write of an epoch: the epoch's wall time ends here
        save(run, *a, **k)
        epoch_ends.append(time.perf_counter())

    trainer.Run.save = save_and_mark
    try:
        config = TrainConfig(recipe=recipe, epochs=epochs, limit=limit, sample_interval=epochs, precision=precision)
        with tempfile.TemporaryDirectory() as out:
            trainer.train(config, out, data=data, log=lambda *_: None)
    finally:
        trainer.build_gan, trainer.Run.save = build, save
    per_epoch = limit // config.batch_size
    _, bench = time_steps(config.batch_size, bench_steps, recipe=recipe, precision=precision)
    rows = []
    for e in range(2, epochs + 1):  # epoch_ends[0] is the write before training
        wall = epoch_ends[e] - epoch_ends[e - 1]
        steps = np.array(clock.steps[(e - 1) * per_epoch:e * per_epoch])
        rows.append({"epoch": e, "loop_ms_per_step": wall / per_epoch * 1e3, "step_ms_mean": steps.mean() * 1e3,
                     "step_ms_median": float(np.median(steps) * 1e3),
                     "loop_over_its_steps": wall / steps.sum(), "loop_over_bench_median": wall / per_epoch / np.median(bench)})
    return {"recipe": recipe, "precision": precision, "limit": limit, "steps_per_epoch": per_epoch, "bench_median_ms": float(np.median(bench) * 1e3),
            "epochs": rows}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", default="default")
    p.add_argument("--limit", type=int, default=9600, help="training images (300 steps an epoch at batch 32)")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--data", help="MNIST folder (default: $MINIGAN_DATA, else the user cache)")
    p.add_argument("--threads", type=int)
    p.add_argument("--precision", choices=["float32", "bf16"], default="float32")
    args = p.parse_args(argv)
    own_cores(thread_count(args.threads))
    print(json.dumps(measure(args.recipe, args.limit, args.epochs, args.data, precision=args.precision), indent=1))


if __name__ == "__main__":
    main()
