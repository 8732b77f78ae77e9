"""train --kernels DIR: the GAN trained with the kernels a student wrote, minigan's for the rest.

DIR holds the files `lab start` wrote (DIR/dense.py, DIR/conv2d.py, ...); each present
file is graded first, exactly as `lab check` does, and refused unless it is right and Numba
compiles it (a step in plain Python would take minutes). The student's functions follow
the contract's plain signatures; the layers call the richer ones, so each is wrapped here:

- a fused activation (dense and conv with activation="relu") becomes the student's plain
  layer followed by the activation kernel (the student's too, if DIR has it); BatchNorm's
  fused activation is split off whenever DIR has batchnorm, relu or leaky_relu, so that the
  student's activation runs in the recipes that normalise G. The layers
  keep a fused layer's output y, not its input, so the activation's backward is given y:
  for relu and LeakyReLU (alpha > 0) y > 0 exactly where the input was, so it is the same;
- input_grad / param_grads: every gradient is computed and the unwanted ones dropped;
- the convolution's cols (the im2col matrix minigan's forward hands its backward) is None:
  the student's conv recomputes what it needs; its padding is an int ('valid' is 0);
- the stubs' loops allocate float64 arrays: results are cast back to the training dtype;
- no out= buffers (kernels/workspace.py): the backend has no Workspace, so every kernel,
  the student's and minigan's, allocates its results as a student's kernel does.
"""

import types
from pathlib import Path

import numpy as np

import kernels.cpu
from kernels.conv_geometry import depth_to_space, space_to_depth
from minigan.lab.commands import LabError, run_graders
from minigan.lab.exercises import EXERCISES
from minigan.lab.grader import jit_module, load, run_compiled

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


def cast(a, like):
    return np.asarray(a).astype(like.dtype, copy=False)


def plain_padding(op, stride, padding):
    """The lab's conv takes int stride and padding; the GAN's layers pass 3 and 'valid'."""
    if isinstance(padding, str) and padding.lower() == "valid":
        padding = 0
    for name, v in (("stride", stride), ("padding", padding)):
        if not isinstance(v, (int, np.integer)):
            raise ValueError(f"{op} (your kernel): the lab's convolution takes an int {name}, got {v!r}")
    return int(stride), int(padding)


def student_backend(folder, dtype=np.float32, log=print):
    """-> an ops namespace: kernels.cpu with the student's functions from `folder` in place."""
    folder = Path(folder)
    present = {name: folder / f"{name}.py" for name in EXERCISES if (folder / f"{name}.py").is_file()}
    if not present:
        raise LabError(f"--kernels {folder}: no exercise files there (python -m minigan lab start dense {folder} "
                       f"writes one; the names are {', '.join(EXERCISES)})")
    reports = run_graders(present, GRADING_SEED, jit=False)  # one child process for all the files
    mods = {name: graded_module(name, path, reports[name], dtype) for name, path in present.items()}
    # without Workspace: the student's functions return fresh arrays, so the GAN lends no buffers (minigan/gan.py)
    ops = types.SimpleNamespace(**{n: getattr(kernels.cpu, n) for n in kernels.cpu.__all__ if n != "Workspace"})
    theirs = []

    def use(exercise, name, fn):
        """ops.name becomes fn, which calls the student's function of that name from exercise's file."""
        setattr(ops, name, fn)
        theirs.append(f"{present[exercise]}: {name}")

    for name in ("relu", "leaky_relu", "tanh", "sigmoid"):  # elementwise: (x[, alpha]) and (dy, x or y[, alpha])
        if name in mods:
            fwd, bwd = getattr(mods[name], f"{name}_forward"), getattr(mods[name], f"{name}_backward")
            use(name, f"{name}_forward", lambda x, *alpha, f=fwd: cast(f(x, *alpha), x))
            use(name, f"{name}_backward", lambda dy, saved, *alpha, b=bwd: cast(b(dy, saved, *alpha), dy))

    def act_forward(y, activation, alpha):
        if activation is None:
            return y
        return ops.relu_forward(y) if activation == "relu" else ops.leaky_relu_forward(y, alpha)

    def act_backward(dy, y, activation, alpha):
        if activation is None:
            return dy
        return ops.relu_backward(dy, y) if activation == "relu" else ops.leaky_relu_backward(dy, y, alpha)

    def keep(grads, input_grad, param_grads):
        dx, dw, db = grads
        return (dx if input_grad else None), (dw if param_grads else None), (db if param_grads else None)

    def divided(a, sigma):
        """A spectrally normalised layer's w / sigma, formed here so that the student's kernel
        sees a plain w; and the dw of w / sigma turned into dw with sigma held fixed."""
        return a if sigma is None else a / sigma

    def blocked(y, out_block):
        """Your NHWC output in the blocks the GAN's next convolution reads (kernels/conv_geometry.py)."""
        return y if out_block == 1 else np.ascontiguousarray(space_to_depth(y, out_block))

    def unblocked(dy, out_block):
        return dy if out_block == 1 else depth_to_space(dy, out_block)

    def through_sigma(grads, sigma):
        dx, dw, db = grads
        return dx, divided(dw, sigma), db

    if "dense" in mods:
        d = mods["dense"]

        def dense_forward(x, w, b, activation=None, alpha=0.2, sigma=None):
            return act_forward(cast(d.dense_forward(x, divided(w, sigma), b), x), activation, alpha)

        def dense_backward(dy, x, w, input_grad=True, param_grads=True, y=None, activation=None, alpha=0.2,
                           sigma=None):
            dpre = act_backward(dy, y, activation, alpha)
            grads = through_sigma(d.dense_backward(dpre, x, divided(w, sigma)), sigma)
            return keep([cast(g, dy) for g in grads], input_grad, param_grads)

        use("dense", "dense_forward", dense_forward)
        use("dense", "dense_backward", dense_backward)
    if "conv2d" in mods:
        c = mods["conv2d"]

        def conv2d_forward(x, w, b, stride, padding, activation=None, alpha=0.2, sigma=None, out_block=1):
            s, p = plain_padding("conv2d_forward", stride, padding)
            y = act_forward(cast(c.conv2d_forward(x, divided(w, sigma), b, s, p), x), activation, alpha)
            return blocked(y, out_block)

        def conv2d_backward(dy, x, w, stride, padding, input_grad=True, param_grads=True, y=None, activation=None,
                            alpha=0.2, cols=None, sigma=None, out_block=1):
            s, p = plain_padding("conv2d_backward", stride, padding)
            dpre = np.ascontiguousarray(unblocked(act_backward(dy, y, activation, alpha), out_block))
            grads = through_sigma(c.conv2d_backward(dpre, x, divided(w, sigma), s, p), sigma)
            return keep([cast(g, dy) for g in grads], input_grad, param_grads)

        use("conv2d", "conv2d_forward", conv2d_forward)
        ops.conv2d_forward_with_cols = lambda *a, **k: (conv2d_forward(*a, **k), None)
        use("conv2d", "conv2d_backward", conv2d_backward)
    if "bce_with_logits" in mods:
        bce = mods["bce_with_logits"]
        use("bce_with_logits", "bce_with_logits_forward", lambda z, t: z.dtype.type(bce.bce_with_logits_forward(z, t)))
        use("bce_with_logits", "bce_with_logits_backward", lambda z, t: cast(bce.bce_with_logits_backward(z, t), z))
    if mods.keys() & {"batchnorm", "relu", "leaky_relu"}:
        # BatchNorm unfused: minigan's fuses the activation in its own pass, which would never call the student's
        bn = mods.get("batchnorm")

        def batchnorm_forward(x, gamma, beta, eps=1e-3, reduce=None, activation=None, alpha=0.2):
            if bn is None:
                y, *stats = kernels.cpu.batchnorm_forward(x, gamma, beta, eps, reduce)
            elif reduce is not None:
                raise ValueError("batchnorm_forward (your kernel): one process only; run without mpiexec")
            else:
                y, *stats = (cast(a, x) for a in bn.batchnorm_forward(x, gamma, beta, eps))
            return (act_forward(y, activation, alpha), *stats)

        def batchnorm_backward(dy, xhat, gamma, inv_std, reduce=None, y=None, activation=None, alpha=0.2):
            dpre = np.ascontiguousarray(act_backward(dy, y, activation, alpha))
            if bn is None:
                return kernels.cpu.batchnorm_backward(dpre, xhat, gamma, inv_std, reduce)
            return tuple(cast(a, dy) for a in bn.batchnorm_backward(dpre, xhat, gamma, inv_std))

        if bn is None:
            ops.batchnorm_forward, ops.batchnorm_backward = batchnorm_forward, batchnorm_backward
        else:
            use("batchnorm", "batchnorm_forward", batchnorm_forward)
            use("batchnorm", "batchnorm_backward", batchnorm_backward)
    if "adam" in mods:
        use("adam", "adam_update", mods["adam"].adam_update)
    log("training with your kernels (each checked first, as `lab check` does):")
    for line in theirs:
        log(f"  {line}")
    if "sigmoid" in mods:
        log("  (sigmoid: checked, but the GAN's training step does not call it)")
    return ops
