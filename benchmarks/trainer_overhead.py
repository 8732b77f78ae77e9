"""What the trainer's epoch loop adds to the training step: `python -m benchmarks.trainer_overhead`.

Runs minigan.train.train (the loop `python -m minigan train` runs: batch gather, noise,
logging, progress, the per-epoch writes) on MNIST, with a stopwatch around every train_step,
and after every epoch, in the same process, times the step the way `minigan bench` does (one
batch, over and over, on a GAN of its own built before training). So each epoch and its bench
form one round, side by side in time, and the machine's drift between rounds cancels in their
ratio. Reported, per epoch after the first (the first compiles and fills the workspaces): the
loop's wall time per step, the steps' own time, the round's bench median, and their ratios;
and the median of the rounds' ratios.
"""

import argparse
import json
import tempfile
import time

import numpy as np

from minigan import backends
from minigan import train as trainer
from minigan.bench import gan_with_batch, timed_steps
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


def measure(recipe, limit, epochs, data=None, bench_steps=150, precision="float32"):
    config = TrainConfig(recipe=recipe, epochs=epochs, limit=limit, sample_interval=epochs, precision=precision)
    bench_gan, real, z = gan_with_batch(config.batch_size, backends.get("cpu"), recipe, precision=precision)
    timed_steps(bench_gan, real, z, 3)  # compiled and warm before the first round
    clock, starts, ends, bench = StepClock(), [], [], []
    build = trainer.build_gan
    trainer.build_gan = lambda *a, **k: clock.wrap(build(*a, **k))
    save = trainer.Run.save

    def save_then_bench(run, *a, **k):  # the last write of an epoch ends its wall time; the bench follows
        save(run, *a, **k)
        ends.append(time.perf_counter())
        bench.append(timed_steps(bench_gan, real, z, bench_steps))
        starts.append(time.perf_counter())

    trainer.Run.save = save_then_bench
    try:
        with tempfile.TemporaryDirectory() as out:
            trainer.train(config, out, data=data, log=lambda *_: None)
    finally:
        trainer.build_gan, trainer.Run.save = build, save
    per_epoch = limit // config.batch_size
    rows = []
    for e in range(2, epochs + 1):  # ends[0] is the write before training
        wall = ends[e] - starts[e - 1]
        steps = np.array(clock.steps[(e - 1) * per_epoch:e * per_epoch])
        bench_median = float(np.median(bench[e]))
        rows.append({"epoch": e, "loop_ms_per_step": wall / per_epoch * 1e3, "step_ms_median": float(np.median(steps) * 1e3),
                     "bench_ms_median": bench_median * 1e3, "loop_over_its_steps": wall / steps.sum(),
                     "loop_over_bench_median": wall / per_epoch / bench_median})
    return {"recipe": recipe, "precision": precision, "limit": limit, "steps_per_epoch": per_epoch,
            "bench_steps_per_round": bench_steps,
            "median_loop_over_its_steps": float(np.median([r["loop_over_its_steps"] for r in rows])),
            "median_loop_over_bench": float(np.median([r["loop_over_bench_median"] for r in rows])), "epochs": rows}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipe", default="default")
    p.add_argument("--limit", type=int, default=60000, help="training images (60000: the whole set, as the main job)")
    p.add_argument("--epochs", type=int, default=6, help="epochs, so rounds, of which the first is not counted")
    p.add_argument("--data", help="MNIST folder (default: $MINIGAN_DATA, else the user cache)")
    p.add_argument("--threads", type=int)
    p.add_argument("--precision", choices=["float32", "bf16"], default="float32")
    args = p.parse_args(argv)
    own_cores(thread_count(args.threads))
    print(json.dumps(measure(args.recipe, args.limit, args.epochs, args.data, precision=args.precision), indent=1))


if __name__ == "__main__":
    main()
