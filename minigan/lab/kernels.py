"""train --kernels: the GAN trained with the readable engine, or with the kernels a student wrote.

``--kernels reference`` is minigan's readable engine (kernels/reference/): the contract built
from plain loops, one step at a time. ``--kernels DIR`` is that engine with the student's
functions in place of minigan's: DIR holds the files `lab start` wrote (DIR/dense.py, ...),
each graded first, exactly as `lab check` does, and refused unless it is right and Numba
compiles it (a step in plain Python would take minutes). The engine calls its steps with the
lab's own signatures (kernels/reference/engine.py), so registering a file is all there is:
the activation, spectral norm's w / sigma and BatchNorm are steps of their own, as in the lab.
The one adaptation: the lab's convolution takes int stride and padding ('valid' is 0).
"""

from pathlib import Path

import numpy as np

import kernels.reference
from kernels.reference import ReferenceEngine, readable_steps
from minigan.lab.commands import LabError, run_graders
from minigan.lab.exercises import EXERCISES
from minigan.lab.grader import jit_module, load, run_compiled
from minigan.validate import READABLE_ENGINE

GRADING_SEED = 0


def graded_module(name, path, report, dtype):
    """Refuse the file unless its report (graded as `lab check` does) says right; then load
    it here with its functions compiled by Numba, and refuse it unless they compile (tried on
    one case in the training dtype, whose compilation training then reuses)."""
    if not report["right"]:
        why = report["not_written"] or (report["error"] or {}).get("message") or report["problems"][0]["message"]
        raise LabError(f"{path} is not right yet ({why}); fix it first: python -m minigan lab check {name} {path}")
    exercise = EXERCISES[name]
    module = load(path, name)
    jit_module(module, exercise)
    case = exercise.cases(np.random.default_rng(GRADING_SEED))[0]
    case.inputs = {k: v.astype(dtype) if isinstance(v, np.ndarray) else v for k, v in case.inputs.items()}
    case.dy = None if case.dy is None else case.dy.astype(dtype)
    _, why = run_compiled(module, exercise, case)
    if why:
        raise LabError(f"{path} is right, but not for training: {why}. Training needs compiled kernels (plain "
                       f"Python would take minutes a step): write it with loops over NumPy arrays")
    return module


def plain_padding(op, stride, padding):
    """The lab's conv takes int stride and padding; the GAN's layers pass 3 and 'valid'."""
    if isinstance(padding, str) and padding.lower() == "valid":
        padding = 0
    for name, v in (("stride", stride), ("padding", padding)):
        if not isinstance(v, (int, np.integer)):
            raise ValueError(f"{op} (your kernel): the lab's convolution takes an int {name}, got {v!r}")
    return int(stride), int(padding)


def with_plain_padding(module):
    """The student's conv2d_forward / conv2d_backward, called with the layer's stride and padding."""
    forward, backward = module.conv2d_forward, module.conv2d_backward
    return {"conv2d_forward": lambda x, w, b, stride, padding: forward(x, w, b, *plain_padding(
                "conv2d_forward", stride, padding)),
            "conv2d_backward": lambda dy, x, w, stride, padding: backward(dy, x, w, *plain_padding(
                "conv2d_backward", stride, padding))}


def training_kernels(choice, dtype=np.float32, log=print):
    """--kernels CHOICE (checked by minigan/validate.py) -> the engine to train with:
    kernels.reference for 'reference', else the readable engine with the student's files from
    the folder CHOICE in place."""
    if choice == READABLE_ENGINE:
        log("training with minigan's readable engine (kernels/reference/): plain loops, one step at a time")
        return kernels.reference
    return student_backend(choice, dtype, log)


def student_backend(folder, dtype=np.float32, log=print):
    """-> the readable engine with the student's functions from `folder` in place of its own."""
    folder = Path(folder)
    present = {name: folder / f"{name}.py" for name in EXERCISES if (folder / f"{name}.py").is_file()}
    if not present:
        raise LabError(f"--kernels {folder}: no exercise files there (python -m minigan lab start dense {folder} "
                       f"writes one; the names are {', '.join(EXERCISES)})")
    reports = run_graders(present, GRADING_SEED, jit=False)  # one child process for all the files
    steps = readable_steps()
    log("training with your kernels (each checked first, as `lab check` does), minigan's readable ones for the rest:")
    for name, path in present.items():
        module = graded_module(name, path, reports[name], dtype)
        functions = {n: getattr(module, n) for n in (*EXERCISES[name].writes, *EXERCISES[name].given)}
        if name == "conv2d":
            functions = with_plain_padding(module)
        for n, fn in functions.items():
            setattr(steps, n, fn)
        log(f"  {path}: {', '.join(functions)}")
    if "sigmoid" in present:
        log("  (sigmoid: checked, but the GAN's training step does not call it)")
    return ReferenceEngine(steps)
