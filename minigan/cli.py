"""Command line: python -m minigan {train, sample, bench, train-classifier, evaluate, report, lab}."""

import argparse
import signal
import sys
import traceback

import numpy as np

from minigan import backends, validate
from minigan.backends import DeviceError
from minigan.config import TrainConfig
from minigan.data import DataError
from minigan.distributed import MPIError, World
from minigan.files import WriteError, atomic_write
from minigan.lab.commands import add_lab, run_lab
from minigan.plots import save_grid
from minigan.recipes import RECIPES, parse_recipe_change
from minigan.record import DEFAULT_INTERVAL
from minigan.runtime import own_cores, thread_count
from minigan.train import TrainingDiverged, resume_config, train
from minigan.weights import load_gan

DEFAULTS = TrainConfig()


def add_train(sub):
    p = sub.add_parser("train", help="train the documented GAN on MNIST",
                       description="Train the documented MNIST GAN; artifacts go to --out.")
    p.add_argument("--epochs", type=int, help=f"epochs to train (default {DEFAULTS.epochs})")
    p.add_argument("--batch-size", type=int, help=f"batch size (default {DEFAULTS.batch_size})")
    p.add_argument("--seed", type=int, help=f"seed for init, shuffling and noise (default {DEFAULTS.seed})")
    p.add_argument("--recipe", choices=sorted(RECIPES), help=f"training recipe (default {DEFAULTS.recipe})")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE", dest="changes",
                   help="change one field of the recipe, e.g. --set d_minibatch_std=true --set g_ema_decay=0.999 "
                        "(fields: minigan/recipes.py, Recipe); repeatable")
    p.add_argument("--lr", type=float, help=f"Adam learning rate for both nets (default {DEFAULTS.lr})")
    p.add_argument("--sample-interval", type=int, help=f"epochs between sample grids (default {DEFAULTS.sample_interval})")
    p.add_argument("--limit", type=int, help="train on the first N images only (default: all 60000)")
    p.add_argument("--record", type=int, nargs="?", const=DEFAULT_INTERVAL, metavar="N",
                   help=f"the flight recorder: every N steps (default {DEFAULT_INTERVAL}) write per layer the gradient "
                        f"and weight norms, update ratio, activations and dead units, and D's outputs and gradient "
                        f"to G's images, to RUN/record.csv and TensorBoard's event files (docs/record.md)")
    p.add_argument("--dtype", choices=["float32", "float64"], help="floating type (default float32)")
    p.add_argument("--device", help="cpu or cuda (default cpu)")
    add_precision(p, None)
    p.add_argument("--data", help="folder with the MNIST .gz files (default: $MINIGAN_DATA, else the user cache; downloaded if absent)")
    p.add_argument("--out", default="runs/gan", help="run folder for samples, losses and the checkpoint (default runs/gan)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh in an --out that holds a previous run, deleting its files (without --resume "
                        "or --overwrite such a folder is refused)")
    p.add_argument("--share-gpus", action="store_true",
                   help="under mpiexec with --device cuda: let more ranks than GPUs share them")
    add_threads(p)
    p.add_argument("--kernels", metavar="reference|DIR",
                   help="'reference': train with minigan's readable engine (plain loops, one step at a time); DIR: "
                        "with the kernels you wrote in the lab (DIR/dense.py, ...; docs/lab.md), each checked first, "
                        "the readable engine for the rest (a folder named reference: ./reference). CPU, one process")


def add_sample(sub):
    p = sub.add_parser("sample", help="draw samples from a trained generator")
    p.add_argument("--checkpoint", required=True, help="a run's checkpoint.npz or weights_epoch_NNN.npz")
    p.add_argument("--n", type=int, default=64, help="number of samples (default 64)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    p.add_argument("--out", required=True, help="a .png grid, or a .npy array (N, 28, 28, 1) in [-1, 1]")
    add_generator_choice(p)
    add_precision(p, "float32")


def add_threads(p):
    p.add_argument("--threads", type=int,
                   help="threads for every pool of this process, Numba's and BLAS's alike (default: the smallest of "
                        "NUMBA_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS that is set, else "
                        "the cores, shared among the MPI ranks on this machine). With MKL (kernels/cpu/gemm.py) the "
                        "most: a step runs on fewer while other processes keep cores busy")


def add_precision(p, default):
    p.add_argument("--precision", choices=["float32", "bf16"], default=default,
                   help="bf16: every matrix product on bfloat16 operands, summed in float32; weights, Adam, losses "
                        "and BatchNorm stay float32 (docs/precision.md). cpu, --dtype float32 (default float32"
                        + (", or the run's own with --resume)" if default is None else ")"))


def add_generator_choice(p):
    p.add_argument("--generator", choices=["averaged", "trained"], default="averaged",
                   help="with a recipe that keeps a moving average of G (g_ema_decay): sample the average "
                        "(default) or the trained G itself; without one both are the trained G")


def add_bench(sub):
    p = sub.add_parser("bench", help="time the training step on this machine")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=100, help="timed steps after warm-up (default 100)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--recipe", choices=sorted(RECIPES), default="documented")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_precision(p, "float32")
    p.add_argument("--profile", action="store_true", help="time every kernel call; print where the step's time goes (cpu)")
    add_threads(p)
    p.add_argument("--no-overlap", action="store_true",
                   help="under mpiexec: send D's gradients in one allreduce after its backward, not layer by layer during it")


def run_bench(args, world):
    from minigan.bench import run_bench as bench
    from minigan.bench import run_profile

    validate.integer("--batch-size", args.batch_size, 1)
    validate.integer("--steps", args.steps, 1)
    validate.precision(args.precision, device=args.device)
    if args.profile:
        if args.device != "cpu" or world.parallel:
            raise validate.UsageError("--profile times kernels on the cpu, in one process (a GPU kernel returns before "
                                      "it is done; under mpiexec the collectives' waits would count as kernel time)")
        run_profile(args.batch_size, args.steps, args.recipe, precision=args.precision)
    else:
        world.overlap = not args.no_overlap
        if args.device == "cuda" and world.parallel:
            world.select_gpu()
        bench(args.batch_size, args.steps, args.device, args.json, args.recipe, world if world.parallel else None,
              precision=args.precision)


def add_evaluate(sub):
    p = sub.add_parser("train-classifier", help="train the MNIST classifier behind `evaluate`")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--limit", type=int, default=0, help="train on the first N images only (default: all)")
    p.add_argument("--data", help="MNIST folder")
    p.add_argument("--out", help="where to save it (default: the user cache, where evaluate looks)")
    p = sub.add_parser("evaluate", help="FID, class coverage and confidence of a generator's samples")
    p.add_argument("--checkpoint", required=True, nargs="+",
                   help="one or more of a run's checkpoint.npz or weights_epoch_NNN.npz")
    p.add_argument("--n", type=int, default=10000, help="samples to score (default 10000)")
    p.add_argument("--classifier", help="classifier checkpoint (default: the user cache)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", help="MNIST folder")
    p.add_argument("--json", action="store_true")
    add_threads(p)
    add_generator_choice(p)


def add_report(sub):
    p = sub.add_parser("report", help="write a run's training report: one HTML page in its folder",
                       description="Write RUN/training_report.html: the run's losses, D's outputs, its flight record "
                                   "(train --record), sample grids and scores, in one page that loads nothing.")
    p.add_argument("run", metavar="RUN", help="a run folder (what train --out wrote)")


def run_report(args):
    from minigan.training_report import write_report

    run = validate.in_folder("RUN", args.run, "give the folder `python -m minigan train --out` wrote")
    print(f"wrote {write_report(run)}")


def run_train_classifier(args):
    from minigan.evaluate import default_classifier_path, train_classifier

    validate.integer("--epochs", args.epochs, 1)
    validate.integer("--limit", args.limit, 0, fix="0 uses all images")
    out = validate.out_file("--out", args.out or default_classifier_path())
    train_classifier(out, epochs=args.epochs, limit=args.limit, data=args.data)


def run_evaluate(args):
    from minigan.evaluate import evaluate, print_report, save_score

    validate.integer("--n", args.n, 2, validate.MAX_SAMPLES, "FID needs at least 2 samples")
    validate.seed("--seed", args.seed)
    for report in evaluate(args.checkpoint, args.n, args.classifier, args.data, args.seed,
                           averaged=args.generator == "averaged"):
        print_report(report, args.json)
        save_score(report)


def run_train(args, world):
    options = {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed, "recipe": args.recipe,
               "lr": args.lr, "sample_interval": args.sample_interval, "limit": args.limit, "record": args.record,
               "dtype": args.dtype, "device": args.device, "precision": args.precision,
               "recipe_changes": dict(parse_recipe_change(c) for c in args.changes) if args.changes else None}
    validate.out_folder("--out", args.out)
    if args.record is not None:
        validate.integer("--record", args.record, 1, fix="leave --record out to train without the recorder")
    if args.resume:
        config = resume_config(args.out, options)
    else:
        config = TrainConfig(**{k: v for k, v in options.items() if v is not None})
    config.check()  # before a GPU is chosen or a --kernels file graded
    if world.parallel and config.device == "cuda":
        world.select_gpu(share=args.share_gpus)
    ops = None
    if args.kernels:
        validate.kernels("--kernels", args.kernels, config.device, world.parallel)
        validate.precision(config.precision, kernels=args.kernels)
        from minigan.lab.kernels import training_kernels

        ops = training_kernels(args.kernels, np.dtype(config.dtype))
    train(config, args.out, data=args.data, resume=args.resume, world=world, ops=ops, overwrite=args.overwrite)


def run_sample(args):
    validate.integer("--n", args.n, 1, validate.MAX_SAMPLES, "draw more in several files, with other --seed")
    validate.seed("--seed", args.seed)
    out = validate.out_file("--out", args.out, (".png", ".npy"))
    validate.in_file("--checkpoint", args.checkpoint, "pass a run's checkpoint.npz or weights_epoch_NNN.npz")
    gan, config, meta = load_gan(args.checkpoint, precision=args.precision)
    z = np.random.default_rng(args.seed).standard_normal((args.n, config.z_dim)).astype(config.dtype)
    images = gan.sample(z, averaged=args.generator == "averaged")
    if out.suffix == ".npy":
        atomic_write(out, lambda f: np.save(f, np.asarray(images, dtype=np.float32)))
    else:
        save_grid(images, out)
    print(f"wrote {args.n} samples from {args.checkpoint} (epoch {meta['epoch']}) to {out}"
          f"{backends.precision_note(config.precision)}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="minigan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    add_train(sub)
    add_sample(sub)
    add_bench(sub)
    add_evaluate(sub)
    add_report(sub)
    add_lab(sub)
    args = parser.parse_args(argv)
    if args.command == "lab":
        return run_lab(args)
    commands = {"sample": run_sample, "train-classifier": run_train_classifier, "evaluate": run_evaluate,
                "report": run_report}
    world = World(None)
    # SIGTERM (kill, a batch system's end of job) stops a run as Ctrl-C does: the checkpoint kept is named
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        if args.command in ("train", "bench"):
            world = World.from_launcher()  # under mpiexec: this process's rank (minigan/distributed.py)
        # one thread count for Numba's pool and BLAS's: pools sized apart fight over the cores
        own_cores(thread_count(getattr(args, "threads", None), world.local_size))
        if args.command in ("train", "bench"):
            (run_train if args.command == "train" else run_bench)(args, world)
        else:
            commands[args.command](args)
    except validate.UsageError as err:
        # raised alike on every rank before any collective (minigan/distributed.py, root_decides): no abort needed
        if world.is_root:
            print(f"minigan {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, DataError, DeviceError, TrainingDiverged, MPIError, WriteError) as err:
        message = f"minigan {args.command}: error: {err}"
        if world.parallel:
            world.abort(message)  # the other ranks may be waiting for this one in a collective
        print(message, file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:  # train's names the checkpoint kept (minigan/train.py, TrainingInterrupted)
        if world.is_root:
            print(f"\n{err or 'interrupted'}", file=sys.stderr)
        return 130
    except BaseException:
        if world.parallel:
            world.abort("unexpected error (traceback above); the last checkpoint is kept",
                        details=traceback.format_exc())
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def interrupt(signum, frame):
    """SIGTERM's handler: raise KeyboardInterrupt where the program is, as SIGINT does."""
    raise KeyboardInterrupt
