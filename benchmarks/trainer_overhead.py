"""What the trainer's epoch loop adds to the training step: `python -m benchmarks.trainer_overhead`.

Runs minigan.train.train (the loop `python -m minigan train` runs: batch gather, noise,
logging, progress, the per-epoch writes) on MNIST, with a stopwatch around every train_step,
and every `every` of its steps, in the same process, times a few steps the way `minigan bench`
does (one batch, over and over, on a GAN of its own built before training). The bench steps
are spread through each epoch, so the machine's drift, which on a shared machine moves a step
by a fifth within minutes, meets both sides alike; their time is taken out of the epoch's wall
time. Reported, per epoch after the first (the first compiles and fills the workspaces): the
loop's wall time per step, the steps' own median, the bench steps' median and mean, and the
ratios; and the median of the epochs' ratios. The loop per step is a mean, so it pays every
slow step; over the bench's median (what `minigan bench` quotes) it also carries the machine's
tail, over the bench's mean only what the loop and the trained GAN add.
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
    """Wraps the GAN train() builds: the seconds of each train_step, and after every `every` of
    them `bench_steps` steps of bench(), whose steps and wall time it keeps apart."""

    def __init__(self, bench, every, bench_steps):
        self.bench, self.every, self.bench_steps = bench, every, bench_steps
        self.steps, self.bench_times, self.bench_wall = [], [], 0.0

    def wrap(self, gan):
        step = gan.train_step

        def timed(real, z, watch=None):
            t = time.perf_counter()
            out = step(real, z, watch)
            self.steps.append(time.perf_counter() - t)
            if len(self.steps) % self.every == 0:
                t = time.perf_counter()
                self.bench_times.extend(self.bench(self.bench_steps))
                self.bench_wall += time.perf_counter() - t
            return out

        gan.train_step = timed
        return gan


def measure(recipe, limit, epochs, data=None, every=25, bench_steps=2, precision="float32"):
    config = TrainConfig(recipe=recipe, epochs=epochs, limit=limit, sample_interval=epochs, precision=precision)
    bench_gan, real, z = gan_with_batch(config.batch_size, backends.get("cpu"), recipe, precision=precision)
    timed_steps(bench_gan, real, z, 3)  # compiled and warm before the first epoch
    clock = StepClock(lambda n: timed_steps(bench_gan, real, z, n), every, bench_steps)
    marks = []  # (time, bench steps so far, bench wall so far) at the end of each epoch's last write
    build = trainer.build_gan
    trainer.build_gan = lambda *a, **k: clock.wrap(build(*a, **k))
    save = trainer.Run.save

    def save_and_mark(run, *a, **k):
        save(run, *a, **k)
        marks.append((time.perf_counter(), len(clock.bench_times), clock.bench_wall))

    trainer.Run.save = save_and_mark
    try:
        with tempfile.TemporaryDirectory() as out:
            trainer.train(config, out, data=data, log=lambda *_: None)
    finally:
        trainer.build_gan, trainer.Run.save = build, save
    per_epoch = limit // config.batch_size
    rows = []
    for e in range(2, epochs + 1):  # marks[0] is the write before training
        (t0, n0, w0), (t1, n1, w1) = marks[e - 1], marks[e]
        wall = (t1 - t0) - (w1 - w0)
        steps = np.array(clock.steps[(e - 1) * per_epoch:e * per_epoch])
        bench = np.array(clock.bench_times[n0:n1])
        rows.append({"epoch": e, "loop_ms_per_step": wall / per_epoch * 1e3, "step_ms_median": float(np.median(steps) * 1e3),
                     "bench_ms_median": float(np.median(bench) * 1e3), "bench_ms_mean": float(bench.mean() * 1e3),
                     "bench_steps": len(bench), "loop_over_its_steps": wall / steps.sum(),
                     "loop_over_bench_median": wall / per_epoch / float(np.median(bench)),
                     "loop_over_bench_mean": wall / per_epoch / float(bench.mean())})
    summary = {f"median_{k}": float(np.median([r[k] for r in rows]))
               for k in ("loop_over_its_steps", "loop_over_bench_median", "loop_over_bench_mean")}
    return {"recipe": recipe, "precision": precision, "limit": limit, "steps_per_epoch": per_epoch,
            "bench_every": every, "bench_steps_each": bench_steps, **summary, "epochs": rows}


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
