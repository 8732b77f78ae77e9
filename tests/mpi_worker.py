"""Run by tests/test_distributed.py under `mpiexec -n 2`, never by pytest itself.

    python tests/mpi_worker.py steps REPORT.json RECIPE DTYPE MODE [DEVICE]
        MODE free: every rank trains data-parallel; rank 0 also trains one one-process GAN
        beside it, from the same seed, batches and noise, and compares every step.
        MODE forced: the same, but before each step the one-process GAN is loaded with the
        data-parallel one's state, so each step is compared on its own (float32).
        Also recorded: whether the ranks' weights and optimizer state stay bitwise equal after
        every step, the batch rows each forward saw, the dropout masks each rank drew, and the
        flight recorder's rows of both (every step recorded; minigan/record.py).
    python tests/mpi_worker.py fail PIDDIR ACTION -- TRAIN-ARGS...
        writes PIDDIR/rank-R.pid, then runs `minigan train TRAIN-ARGS`; ACTION raise: rank 1
        raises in its third training step (the test then times the job's end).
"""

import dataclasses
import json
import os
import sys
from pathlib import Path

import numpy as np
from conftest import norm_rel, rel_err  # tests/ is this script's folder, so on its path

from minigan import backends
from minigan.data import load_mnist, to_gan_range
from minigan.distributed import World
from minigan.gan import GAN
from minigan.layers import Dropout
from minigan.recipes import RECIPES
from minigan.record import Recorder

STEPS, BATCH, SEED = 20, 32, 7
RECIPE_CHANGES = {"sharp+dropout+mbstd": dict(d_dropout=0.3, d_minibatch_std=True),
                  "sharp+no-sn": dict(d_spectral_norm=False)}  # the simulator's test: its power steps are slow there
TINY = dict(g_widths=(4, 4, 4), d_channels=(2, 2, 2))  # the simulator's CUDA is slow: tiny nets, batch 2


def recipe(name):
    base, _, _ = name.partition("+")
    return dataclasses.replace(RECIPES[base], **RECIPE_CHANGES.get(name, {}))


def record_forwards(gan, log):
    """Wrap the nets' forwards and the dropout layers' to log what each computes on."""
    for net_name in ("G", "D"):
        net = getattr(gan, net_name)
        forward = net.forward
        net.forward = lambda x, f=forward, n=net_name: (log.append(("rows", n, int(x.shape[0]))), f(x))[1]
        for layer in net.layers:
            if isinstance(layer, Dropout):
                layer_forward = layer.forward
                layer.forward = lambda x, f=layer_forward, l=layer: (lambda y: (log.append(("mask", l, kept(l, x))), y)[1])(f(x))


def kept(layer, x):
    """The keep mask the layer's kernel applied in its last forward of x: drawn again, by the
    kernel, from the call's key and rows over an x of ones."""
    ones = layer.ops.to_device(np.ones(x.shape, np.dtype(x.dtype)))
    return layer.ops.to_host(layer.ops.dropout_forward(ones, layer.rate, layer.key_used, layer.rows_used)) != 0


def steps(report_path, recipe_name, dtype, mode, device="cpu"):
    world = World.from_launcher()
    ops = backends.get(device)
    if device == "cuda":
        world.select_gpu(share=True)
    sizes, batch = (TINY, 2) if device == "cuda" else ({}, BATCH)  # cuda: one row a rank, BatchNorm's sums shared
    world.split_batch(batch)
    images, _ = load_mnist("train", os.environ["MINIGAN_DATA"], allow_download=False)
    real_all = to_gan_range(images[:STEPS * batch], np.dtype(dtype)).reshape(STEPS, batch, 28, 28, 1)
    noise = np.random.default_rng(3).standard_normal((STEPS, batch, 100)).astype(dtype)
    r = recipe(recipe_name)
    par = GAN(r, np.random.default_rng(SEED), ops, np.dtype(dtype), world=world, **sizes)
    solo = GAN(r, np.random.default_rng(SEED), backends.get("cpu"), np.dtype(dtype), **sizes) if world.is_root else None
    par_log, solo_log = [], []
    par_record = Recorder(1, par, world)
    solo_record = Recorder(1, solo, World(None)) if solo else None
    record_forwards(par, par_log)
    if solo:
        record_forwards(solo, solo_log)
    out = {"ranks": world.size, "losses": [], "same_everywhere": [], "rows": [], "mask_errors": 0, "masks": 0,
           "parameter_error": []}
    for i in range(STEPS if device == "cpu" else 1):  # a simulated CUDA step takes minutes
        if solo and mode == "forced":
            solo.load_state(par.state())
        par_log.clear()
        solo_log.clear()
        watch = par_record.watch(i + 1)
        mine = par.train_step(world.shard(real_all[i]), world.shard(noise[i]), watch)
        par_record.keep(watch, i + 1, 1, mine)
        state = par.state()
        out["same_everywhere"].append(world.same_everywhere([state[k] for k in sorted(state)]))
        masks = [m for kind, _, m in par_log if kind == "mask"]
        gathered = world.comm.gather(masks, root=0)
        if not solo:
            continue
        watch = solo_record.watch(i + 1)
        one = solo.train_step(real_all[i], noise[i], watch)
        solo_record.keep(watch, i + 1, 1, one)
        out["losses"].append({k: [mine[k], one[k]] for k in mine})
        out["rows"].append([(n, rows) for kind, n, rows in par_log if kind == "rows"])
        # each rank's masks are its rows of the one-process masks (the same draws, in order)
        solo_masks = [m for kind, _, m in solo_log if kind == "mask"]
        for j, whole in enumerate(solo_masks):
            for rank, rank_masks in enumerate(gathered):
                _, its_rows = world.rows(rank_masks[j].shape[0], rank)
                out["masks"] += 1
                out["mask_errors"] += int(not np.array_equal(rank_masks[j], whole[its_rows]))
        par_state, solo_state = par.state(), solo.state()
        metric = norm_rel if mode == "forced" else rel_err
        out["parameter_error"].append(max(metric(par_state[k], solo_state[k]) for k in solo_state
                                          if not k.endswith("/t") and k != "t"))
    if world.is_root:
        out["record_error"] = {k: rel_err([r[k] for r in par_record.rows], [r[k] for r in solo_record.rows])
                               for k in solo_record.header}
        Path(report_path).write_text(json.dumps(out))


def fail(pid_dir, action, train_args):
    from minigan import cli
    from minigan.gan import GAN as Trained

    rank = int(os.environ.get("PMI_RANK", 0))
    Path(pid_dir, f"rank-{rank}.pid").write_text(str(os.getpid()))
    if action == "raise" and rank == 1:
        step = Trained.train_step
        calls = []

        def failing(self, real, z, watch=None):
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("a deliberate failure in the third step")
            return step(self, real, z, watch)

        Trained.train_step = failing
    sys.exit(cli.main(["train", *train_args]))


if __name__ == "__main__":
    if sys.argv[1] == "steps":
        steps(*sys.argv[2:])
    else:
        fail(sys.argv[2], sys.argv[3], sys.argv[5:])
