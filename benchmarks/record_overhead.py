"""What the flight recorder costs the training step: `python -m benchmarks.record_overhead`.

One process, one GAN (by default the default recipe at batch 32, float32, on the CPU), in
rounds: --steps steps without the recorder, then --steps steps with it recording every
--every-th step (its event file written into a temporary folder, as `train --record` writes
into the run folder), the two in turn first from one round to the next, so that what the
machine does meanwhile (other processes, clock changes) falls on both alike. Each arm counts
its own steps, so with --steps a multiple of --every it records exactly one step in --every.
Printed as JSON: every round's ratio (recorder's time over plain time), their median, and what
one recorded step adds (the median recorded step less the median plain step), in ms.
"""

import argparse
import json
import tempfile
import time

import numpy as np

from minigan import backends
from minigan.bench import gan_with_batch, pools
from minigan.distributed import World
from minigan.event_files import EventWriter
from minigan.record import DEFAULT_INTERVAL, Recorder
from minigan.runtime import follow_load, own_cores, thread_count


def timed(gan, real, z, steps, first_step, recorder=None):
    """Seconds of `steps` training steps numbered first_step...; with a recorder, it watches the
    steps it records -> (per-step seconds, which of them were recorded)."""
    times, kept = np.empty(steps), np.zeros(steps, dtype=bool)
    for i in range(steps):
        t = time.perf_counter()
        follow_load()  # as the trainer does
        watch = recorder.watch(first_step + i) if recorder else None
        out = gan.train_step(real, z, watch)
        if watch is not None:
            recorder.keep(watch, first_step + i, 1, out)
            kept[i] = True
        times[i] = time.perf_counter() - t
    return times, kept


def measure(rounds, steps, every, batch, recipe, device="cpu"):
    gan, real, z = gan_with_batch(batch, backends.get(device), recipe)
    with tempfile.TemporaryDirectory() as folder:
        recorder = Recorder(every, gan, World(None), events=EventWriter(folder))
        timed(gan, real, z, 3, 1, recorder)  # compiles every kernel, fills the workspaces, imports the writer
        ratios, plain_steps, recorded_steps, recorded_plain = [], [], [], []
        done = {"plain": 0, "recorder": 0}
        for r in range(rounds):
            seconds = {}
            for arm in (("plain", "recorder") if r % 2 == 0 else ("recorder", "plain")):
                times, kept = timed(gan, real, z, steps, done[arm] + 1, recorder if arm == "recorder" else None)
                done[arm] += steps
                seconds[arm] = times.sum()
                if arm == "plain":
                    plain_steps.append(times)
                else:
                    recorded_steps.append(times[kept])
                    recorded_plain.append(times[~kept])
            ratios.append(seconds["recorder"] / seconds["plain"])
        recorder.events.close()
    plain = np.concatenate(plain_steps)
    return {"recipe": recipe, "batch": batch, "device": device, "every": every, "rounds": rounds,
            "steps_per_round": steps, "recorded_steps": sum(len(t) for t in recorded_steps),
            "median_ratio": float(np.median(ratios)), "ratios": [round(x, 4) for x in ratios],
            "plain_step_ms_median": float(np.median(plain) * 1e3),
            "unrecorded_step_ms_median_with_recorder": float(np.median(np.concatenate(recorded_plain)) * 1e3),
            "recorded_step_extra_ms": float((np.median(np.concatenate(recorded_steps)) - np.median(plain)) * 1e3),
            **pools()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--steps", type=int, default=DEFAULT_INTERVAL, help="steps of each arm in a round")
    p.add_argument("--every", type=int, default=DEFAULT_INTERVAL, help="the recorder's interval (train --record N)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--recipe", default="default")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int)
    args = p.parse_args(argv)
    own_cores(thread_count(args.threads))
    print(json.dumps(measure(args.rounds, args.steps, args.every, args.batch_size, args.recipe, args.device), indent=1))


if __name__ == "__main__":
    main()
