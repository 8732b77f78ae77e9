"""Every value minigan is given, checked before anything is written: command-line options,
recipe fields (train --set), paths, and a checkpoint's arrays against the model they load into.

Each check raises UsageError (a value the user gave) or CheckpointError (a file's contents),
whose message names the option or the file, what was wrong with it, and the fix. New options
add a check here and call it where the option is read (minigan/cli.py, minigan/config.py).
"""

import math
import os
from pathlib import Path

import numpy as np

MAX_SAMPLES = 100_000  # sample / evaluate --n: 100k float32 images are 314 MB, more only exhausts memory


class UsageError(ValueError):
    """A value given on the command line (or in a TrainConfig) is wrong; the CLI exits 2."""


class CheckpointError(ValueError):
    """A checkpoint or weights file cannot be loaded into the model; the message names the file."""


def integer(option, value, low=None, high=None, fix=""):
    """An int in [low, high] (either end open when None) -> value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise UsageError(f"{option} must be an integer, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise UsageError(f"{option} must be {_interval(low, high)}, got {value}{fix and '; ' + fix}")
    return int(value)


def number(option, value, low=None, high=None, low_open=False, high_open=False):
    """A finite float in the interval [low, high] (an end open as asked, or unbounded when None) -> value."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise UsageError(f"{option} must be a number, got {value!r}")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    above = high is not None and (value >= high if high_open else value > high)
    if not math.isfinite(value) or below or above:
        where = _interval(low, high, low_open, high_open)
        raise UsageError(f"{option} must be a finite number {where}, got {value!r}")
    return value


def _interval(low, high, low_open=False, high_open=False):
    if high is None:
        return f"{'>' if low_open else '>='} {low}"
    if low is None:
        return f"{'<' if high_open else '<='} {high}"
    return f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def choice(option, value, choices):
    if value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


def seed(option, value):
    """A seed for np.random.default_rng: a non-negative integer."""
    return integer(option, value, 0, 2**63 - 1, "use a non-negative integer")


def _writable_ancestor(option, path):
    """The nearest folder at or above ``path`` that exists; refused unless it is a writable folder."""
    for folder in (path, *path.parents):
        if folder.exists():
            break
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: {folder} is a file, not a folder; pick another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: {folder} is not writable (a read-only file system, or no permission); "
                         f"pick a folder you can write to")
    return folder


def out_folder(option, value):
    """A folder to write into (created if absent) -> Path; refused if empty, a file, or not writable."""
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise UsageError(f"{option} must name a folder, got {value!r}; e.g. {option} runs/gan")
    path = Path(value).expanduser()
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} is a file, not a folder; pick a folder (it is created if absent)")
    _writable_ancestor(option, path)
    return path


def out_file(option, value, suffixes=None):
    """A file to write (its folder created if absent) -> Path; refused if empty, a folder, or not writable."""
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise UsageError(f"{option} must name a file, got {value!r}")
    path = Path(value).expanduser()
    if suffixes and path.suffix not in suffixes:
        raise UsageError(f"{option} must end with {' or '.join(suffixes)}, got {path.name}")
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; name a file in it")
    _writable_ancestor(option, path.parent)
    return path


def in_folder(option, value, fix):
    """An existing folder to read -> Path; never created (a mistyped path must not leave folders behind)."""
    path = Path(value).expanduser()
    if not path.exists():
        raise UsageError(f"{option} {path}: no such folder; {fix}")
    if not path.is_dir():
        raise UsageError(f"{option} {path} is a file, not a folder; {fix}")
    return path


def in_file(option, value, fix):
    """An existing file to read -> Path."""
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"{option} {path}: {'a folder, not a file' if path.is_dir() else 'no such file'}; {fix}")
    return path


READABLE_ENGINE = "reference"  # train --kernels reference: minigan's readable engine, not a folder


def kernels(option, value, device, parallel):
    """train --kernels: 'reference' (the readable engine) or a folder of lab files -> value; the
    readable engine runs on the cpu in one process."""
    if device != "cpu" or parallel:
        raise UsageError(f"{option} trains with the readable engine, on the cpu in one process: drop --device cuda "
                         f"and mpiexec, or drop {option} for the fast engines")
    if value == READABLE_ENGINE:
        if Path(value).is_dir():
            raise UsageError(f"{option} {value} names minigan's readable engine, and there is also a folder "
                             f"'{value}' here; for the folder, give it as ./{value}")
        return value
    in_folder(option, value, f"give the folder `lab start` wrote into, or {option} {READABLE_ENGINE} for minigan's "
                             f"readable engine")
    return value


PRECISIONS = ("float32", "bf16")  # --precision: bf16 multiplies bfloat16 operands, keeps the rest float32


def precision(value, dtype="float32", device="cpu", kernels=None):
    """--precision: float32, or bf16 (every GEMM's operands rounded to bfloat16, sums and everything
    else float32: docs/precision.md), which needs float32 arrays and the fast CPU engine."""
    choice("--precision", value, PRECISIONS)
    if value != "bf16":
        return value
    if dtype != "float32":
        raise UsageError(f"--precision bf16 rounds float32 operands to bfloat16 and keeps everything else float32; "
                         f"it does not combine with --dtype {dtype}: drop one of them")
    if device != "cpu":
        raise UsageError(f"--precision bf16 runs on the cpu only, until a machine with an NVIDIA GPU can test it; "
                         f"drop --device {device} or --precision bf16")
    if kernels:
        raise UsageError(f"--precision bf16 runs on the fast engine; --kernels {kernels} computes in float32 or "
                         f"float64: drop one of them")
    return value


def recipe(spec, option="--set"):
    """Every field of a Recipe (minigan/recipes.py) in its range; ``option`` names where they came from."""
    for name in ("g_activation", "d_activation"):
        choice(f"{option} {name}", getattr(spec, name), ("relu", "leaky_relu"))
    for name in ("g_batchnorm", "d_minibatch_std", "d_spectral_norm"):
        if not isinstance(getattr(spec, name), bool):
            raise UsageError(f"{option} {name} must be true or false, got {getattr(spec, name)!r}")
    number(f"{option} d_dropout", spec.d_dropout, 0.0, 1.0, high_open=True)
    number(f"{option} real_label", spec.real_label, 0.0, 1.0, low_open=True)  # one-sided label smoothing: 0.9, say
    number(f"{option} d_lr_scale", spec.d_lr_scale, 0.0, low_open=True)
    number(f"{option} g_ema_decay", spec.g_ema_decay, 0.0, 1.0, high_open=True)


def checkpoint_arrays(path, arrays, expected):
    """Every array of ``expected`` ({name: array of the model}) is in ``arrays`` (a file's) with
    its shape and dtype, and the file holds no others."""
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        what = "; ".join(s for s in (missing and f"it lacks {_names(missing)}", extra and f"it has {_names(extra)} "
                                     f"that the model does not") if s)
        raise CheckpointError(f"{path} does not fit the model its config describes: {what}. It was not written for "
                              f"this model (or was edited); pass the run's own checkpoint.npz")
    for name, want in expected.items():
        got = np.asarray(arrays[name])
        want = np.asarray(want)
        if got.shape != want.shape or got.dtype != want.dtype:
            raise CheckpointError(f"{path}: {name} is {got.dtype} {got.shape}, the model's is {want.dtype} "
                                  f"{want.shape}; the file is damaged or was edited. Use another checkpoint "
                                  f"(weights_epoch_NNN.npz keeps the weights) or start afresh")
        if not np.all(np.isfinite(got)):
            raise CheckpointError(f"{path}: {name} holds NaN or inf; the file is damaged. Use another checkpoint "
                                  f"or start afresh")


def _names(names, shown=4):
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
