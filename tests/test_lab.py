"""The lab: every exercise's stub is reported unwritten, every reference solution passes,
an unnamed fault is located, Numba's reasons come first, and the commands and training
behave. The named mistakes: tests/test_lab_mistakes.py; a student-written set:
tests/test_lab_students.py; the notebook's check(): tests/test_lab_notebook.py.

Reference solutions: tests/lab/<exercise>.py (plain loops, as a student writes them).
Most grading runs in this process (grader.grade) to keep the suite fast; the commands'
own path (a child process with a time limit, exit codes, what is printed) is tested
through the command line."""

import subprocess
import sys
import textwrap

import pytest
from conftest import REPO

from minigan.lab import commands
from minigan.lab.exercises import EXERCISES
from minigan.lab.grader import grade

SOLUTIONS = REPO / "tests" / "lab"


def student_file(tmp_path, name, source):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{name}.py"
    path.write_text("import numpy as np\n\n" + textwrap.dedent(source))
    return path


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solutions_pass_and_stubs_are_unwritten(tmp_path, name):
    assert grade(name, SOLUTIONS / f"{name}.py", seed=11, jit=False)["right"]
    stub = commands.start(name, tmp_path)
    report = grade(name, stub, seed=11, jit=False)
    assert not report["right"] and "write" in report["not_written"]


TRANSPOSED = """
    def dense_backward(dy, x, w):
        return dy @ w.T, dy.T @ x, dy.sum(axis=0)
    """  # every named mistake has its own wrong file: tests/test_lab_mistakes.py


def test_an_unnamed_error_is_reported_by_where_and_how(tmp_path):
    """A wrong gradient that no named mistake explains is described: its pattern, which entries."""
    conv = (SOLUTIONS / "conv2d.py").read_text()
    scaled = grade("conv2d", student_file(tmp_path / "s", "conv2d", conv.replace("db[f] += g", "db[f] += 1.7 * g")),
                   seed=5, jit=False)
    [problem] = {p["message"]: p for p in scaled["problems"]}.values()
    assert problem["grad"] == "db" and problem["mistake"] is None
    assert problem["message"] == "db is 1.7 times the right answer, every entry"
    first_sample = grade("conv2d", student_file(tmp_path / "f", "conv2d", conv.replace(
        "dx[n, ih, iw, c] += g * w[kh, kw, c, f]", "dx[n, ih, iw, c] += g * w[kh, kw, c, f] * (1.0 + (n == 0))")),
        seed=5, jit=False)
    assert all(p["grad"] == "dx" and p["mistake"] is None and ", only in sample first" in p["message"]
               and "there it is 2 times the right value" in p["message"] for p in first_sample["problems"])
    text = commands.format_report(first_sample)
    assert text.count("only in sample first") == 1 and f"{len(first_sample['cases'])} of " in text  # once, counted


def test_a_nan_from_overflow_is_not_called_unset_memory(tmp_path):
    """np.empty filled by masks, every entry written: the NaN at x = 1000 comes from inf / inf,
    not from the grader's NaN for unset memory, so the overflow is named, not np.empty."""
    report = grade("sigmoid", student_file(tmp_path / "s", "sigmoid", """
        def sigmoid_forward(x):
            out = np.empty_like(x)
            pos = x >= 0
            out[pos] = np.exp(x[pos]) / (1 + np.exp(x[pos]))
            out[~pos] = 1 / (1 + np.exp(-x[~pos]))
            return out

        def sigmoid_backward(dy, y):
            return dy * y * (1 - y)
        """), seed=3, jit=False)
    assert {p["mistake"] for p in report["problems"]} == {"sigmoid overflow"}


def test_a_name_is_kept_only_where_it_explains_every_case(tmp_path):
    """A naive sigmoid in a BCE without its mean: the finite cases are named (1/M missing), the
    overflow is located but not called "sigmoid overflow". An Adam that corrects m before
    updating it does not move param at t = 1 (m starts at 0): that is not "update not in place"."""
    bce = grade("bce_with_logits", student_file(tmp_path / "b", "bce_with_logits", """
        def bce_with_logits_backward(logits, targets):
            e = np.exp(logits)
            return e / (1 + e) - targets
        """), seed=1, jit=False)
    names = {p["mistake"] for p in bce["problems"]}
    assert names == {"loss's 1/M missing", None}
    assert [p["message"].split(" at ")[0] for p in bce["problems"] if p["mistake"] is None] == [
        "dlogits is not finite (nan or inf)"]
    adam = grade("adam", student_file(tmp_path / "a", "adam", """
        def adam_update(param, grad, m, v, step, lr, beta1, beta2, eps):
            m_hat = m / (1 - beta1 ** step)
            m[...] = beta1 * m + (1 - beta1) * grad
            v[...] = beta2 * v + (1 - beta2) * grad ** 2
            param -= lr * m_hat / (np.sqrt(v / (1 - beta2 ** step)) + eps)
        """), seed=1, jit=False)
    assert {p["mistake"] for p in adam["problems"]} == {"moments used before their update"}


def lab(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "minigan", "lab", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def test_check_command_right_wrong_and_raising(tmp_path):
    right = lab("check", "dense", SOLUTIONS / "dense.py", "--seed", 4)
    assert right.returncode == 0 and "RIGHT" in right.stdout and "Numba: compiled" in right.stdout
    assert "seed 4" in right.stdout

    wrong = lab("check", "dense", student_file(tmp_path, "dense", TRANSPOSED))
    assert wrong.returncode == 1 and "[transposed]" in wrong.stdout and "dw" in wrong.stdout
    assert "Traceback" not in wrong.stdout + wrong.stderr

    raising = student_file(tmp_path / "r", "dense", """
        def dense_backward(dy, x, w):
            dx = dy @ w.T
            dw = x.T @ dy
            db = dy.sum(axis=0)
            return dx[:, 99999], dw, db
        """)
    out = lab("check", "dense", raising)
    assert out.returncode == 1 and "YOUR CODE RAISED at line 8 (in dense_backward): IndexError" in out.stdout
    assert "return dx[:, 99999], dw, db" in out.stdout and "Traceback" not in out.stdout + out.stderr


def test_a_hang_or_a_crash_is_the_students(tmp_path):
    hang = student_file(tmp_path / "h", "relu", """
        def relu_backward(dy, x):
            while True:
                pass
        """)
    out = lab("check", "relu", hang, "--timeout", 5)
    assert out.returncode == 1 and "ran for more than 5.0 s" in out.stdout
    crash = student_file(tmp_path / "c", "relu", """
        import os

        def relu_backward(dy, x):
            os.abort()
        """)
    out = lab("check", "relu", crash)
    assert out.returncode == 1 and "stopped the Python process (signal 6)" in out.stdout


FORGED = "print('[' + json.dumps(dict(exercise='relu', right=True)) + ']', flush=True)\n"  # the old child's report
FORGERIES = {  # a relu file that is wrong, but tries to grade itself RIGHT
    "report, then exit 0 at import": f"""
        import json, os
        {FORGED}
        os._exit(0)
        """,
    "report, then exit 0 in the call": f"""
        import json, os

        def relu_backward(dy, x):
            {FORGED}
            os._exit(0)
        """,
    "its own results file": """
        import os, sys, json

        def relu_backward(dy, x):
            record = dict(relu=dict(error=None, not_written=None, missing=[], runs=[], numba=None))
            np.savez(sys.argv[2], __record__=np.array(json.dumps(record)))
            os._exit(0)
        """,
    "its own results, naming arrays it did not send": """
        import os, sys, json

        def relu_backward(dy, x):
            runs = [dict(container=None, kinds=["array"])] * 3
            record = dict(relu=dict(error=None, not_written=None, missing=[], runs=runs, numba=None))
            np.savez(sys.argv[2], __record__=np.array(json.dumps(record)))
            os._exit(0)
        """,
}


@pytest.mark.parametrize("how", sorted(FORGERIES))
def test_a_file_cannot_grade_itself(tmp_path, how):
    """The verdict is reached in the parent from the arrays the child sends back: a file that
    prints a report of its own, writes the results itself, or ends the child early is wrong, and
    training with it is refused."""
    path = student_file(tmp_path, "relu", FORGERIES[how])
    report = commands.run_grader("relu", path, seed=3, jit=False)
    assert not report["right"]
    assert report["error"]["message"].startswith("your code ended the Python process before the grader had its results")
    with pytest.raises(commands.LabError, match="relu.py is not right yet"):
        from minigan.lab.kernels import student_backend

        student_backend(tmp_path, log=lambda *_: None)


def test_the_child_returns_the_inputs_as_the_call_left_them(tmp_path):
    """Every input array comes back after the call: Adam's three change (in place, as they must);
    a dense backward that scribbles on dy is seen doing so and graded wrong, though its answers
    are right."""
    report = grade("adam", SOLUTIONS / "adam.py", seed=1, jit=False)
    assert report["right"] and all(row["inputs_changed"] == ["m", "param", "v"] for row in report["cases"])
    scribbler = student_file(tmp_path, "dense", """
        def dense_backward(dy, x, w):
            dx, dw, db = dy @ w.T, x.T @ dy, dy.sum(axis=0)
            dy[...] = 0
            return dx, dw, db
        """)
    report = grade("dense", scribbler, seed=1, jit=False)
    assert not report["right"] and all(row["inputs_changed"] == ["dy"] for row in report["cases"])
    assert {(p["grad"], p["mistake"]) for p in report["problems"]} == {("dy", "input changed in place")}
    assert all(row["inputs_changed"] == [] for row in grade("dense", SOLUTIONS / "dense.py", 1, False)["cases"])


UNCOMPILABLE = {  # a right relu Numba cannot compile -> what the report must say first
    "np.vectorize": ("""
        def relu_backward(dy, x):
            return np.vectorize(lambda d, v: d if v > 0 else 0.0)(dy, x)
        """, "not compiled. Numba cannot compile line 5 (return np.vectorize("),
    "einsum": ("""
        def relu_backward(dy, x):
            return np.einsum("...,...->...", dy, (x > 0) * 1.0)
        """, "not compiled. Numba cannot compile line 5 (return np.einsum(\"...,...->...\", dy, (x > 0) * 1.0)): "
             "Use of unsupported NumPy function 'numpy.einsum'"),
    "an untyped global": ("""
        import math
        SLOPES = {True: 1.0, False: 0.0}

        def relu_backward(dy, x):
            return dy * slope(x)

        def slope(x):
            return np.array([SLOPES[bool(v > 0)] for v in x.ravel()]).reshape(x.shape)
        """, "not compiled. Numba cannot compile line 11 (return np.array([SLOPES[bool(v > 0)] for v in "
                                "x.ravel()]).reshape(x.shape)): Untyped global name 'SLOPES'"),
    "a 2-D boolean mask": ("""
        def relu_backward(dy, x):
            dx = dy.copy()
            dx[x <= 0] = 0.0
            return dx
        """, "not compiled. Numba cannot compile line 6 (dx[x <= 0] = 0.0): its compiler failed (AssertionError in "
             "fancy_setslice); Numba assigns through a boolean mask (a[mask] = v) on 1-D arrays only"),
}


@pytest.mark.parametrize("how", sorted(UNCOMPILABLE))
def test_right_code_numba_cannot_compile_is_still_right_and_says_why_first(tmp_path, how):
    source, says = UNCOMPILABLE[how]
    report = grade("relu", student_file(tmp_path, "relu", source), seed=2)
    assert report["right"] and report["numba"].startswith(says), report["numba"]
    assert "Failed in nopython mode pipeline" not in report["numba"] and "compiled, it raised" not in report["numba"]


def test_the_whole_file_compiles_helpers_included(tmp_path):
    helper = student_file(tmp_path, "relu", """
        def slope(v):
            return 1.0 if v > 0 else 0.0

        def relu_backward(dy, x):
            dx = np.empty_like(dy)
            d, xf, out = dy.reshape(-1), x.reshape(-1), dx.reshape(-1)
            for i in range(xf.size):
                out[i] = d[i] * slope(xf[i])
            return dx
        """)
    assert grade("relu", helper, seed=2)["numba"] == "compiled"


def test_bad_use_says_the_fix(tmp_path):
    out = lab("check", "dens", tmp_path / "x.py")
    assert out.returncode == 2 and "no exercise 'dens'" in out.stderr and "dense" in out.stderr
    out = lab("check", "dense", tmp_path / "missing.py")
    assert out.returncode == 2 and "lab start dense" in out.stderr
    commands.start("adam", tmp_path)
    with pytest.raises(commands.LabError, match="exists already"):
        commands.start("adam", tmp_path)
    listing = lab()
    assert listing.returncode == 0 and all(name in listing.stdout for name in EXERCISES)


@pytest.mark.parametrize("argv, message", [(["--timeout", "nan"], "--timeout must be a finite number > 0.0, got nan"),
                                           (["--timeout", "-1"], "--timeout must be a finite number > 0.0, got -1.0"),
                                           (["--seed", "-1"], "--seed must be in [0, ")])
def test_bad_check_options_are_refused_not_blamed_on_the_student(capsys, argv, message):
    from minigan.cli import main

    assert main(["lab", "check", "dense", str(SOLUTIONS / "dense.py"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "YOUR CODE" not in err


def test_stubs_have_the_readable_engines_step_signatures():
    """A stub's functions have the signatures of the readable engine's steps, which the student's
    take the place of in training (kernels/reference/engine.py)."""
    import inspect

    from kernels.reference import readable_steps

    steps = readable_steps()
    for name, exercise in EXERCISES.items():
        stub = commands.STUBS / f"{name}.py"
        namespace = {}
        exec(compile(stub.read_text(), str(stub), "exec"), namespace)
        for fn in (*exercise.writes, *exercise.given):
            theirs = list(inspect.signature(namespace[fn]).parameters)
            ours = list(inspect.signature(getattr(steps, fn)).parameters)
            assert theirs == ours, (fn, theirs, ours)


def test_training_with_the_students_kernels_matches_minigans(tmp_path):
    """Right kernels from DIR (the reference solutions: dense, relu, BCE, conv2d, Adam)
    train the documented GAN as minigan's readable engine does: the same losses over two steps."""
    import shutil

    import numpy as np

    import kernels.reference as K
    from minigan.gan import GAN
    from minigan.lab.kernels import student_backend
    from minigan.recipes import RECIPES

    for name in ("dense", "relu", "bce_with_logits", "conv2d", "adam"):
        shutil.copy(SOLUTIONS / f"{name}.py", tmp_path)
    lines = []
    ops = student_backend(tmp_path, log=lines.append)
    assert any(line.endswith("conv2d.py: conv2d_forward, conv2d_backward") for line in lines)
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (2, 4, 28, 28, 1)).astype(np.float32)
    z = rng.standard_normal((2, 4, 100)).astype(np.float32)
    sizes = dict(g_widths=(8, 8, 8), d_channels=(4, 4, 4))
    theirs = GAN(RECIPES["documented"], np.random.default_rng(1), ops, **sizes)
    ours = GAN(RECIPES["documented"], np.random.default_rng(1), K, **sizes)
    for step in range(2):
        a, b = theirs.train_step(real[step], z[step]), ours.train_step(real[step], z[step])
        assert all(abs(a[k] - b[k]) < 1e-5 for k in ("d_loss", "g_loss")), (step, a, b)


def test_the_lab_and_training_agree_on_relu_at_zero(tmp_path):
    """Training hands relu_backward the activation's input x, which is exactly 0 where a zero
    bias meets an all-zero input; its slope there is 0. The exercise grades that point as
    training takes it: a relu written x >= 0 is named wrong, and in training its gradients
    part from minigan's."""
    import numpy as np

    from kernels.reference import ReferenceEngine, readable_steps
    from kernels.specs import Activation, DenseSpec

    geq = student_file(tmp_path, "relu", """
        def relu_backward(dy, x):
            return dy * (x >= 0)
        """)
    report = grade("relu", geq, seed=0, jit=False)
    assert {p["mistake"] for p in report["problems"]} == {"relu's slope at 0"}
    theirs_steps = readable_steps()
    theirs_steps.relu_backward = lambda dy, x: dy * (x >= 0)
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), np.zeros(5)
    x[1] = 0.0  # a zero input row and a zero bias: that row's pre-activation is exactly 0
    spec, dy = DenseSpec(Activation("relu")), rng.standard_normal((4, 5))
    grads = []
    for steps in (readable_steps(), theirs_steps):
        engine = ReferenceEngine(steps)
        _, cache = engine.dense_forward(x, w, b, spec)
        grads.append(engine.dense_backward(dy, cache))
    (dx, dw, db), (their_dx, their_dw, their_db) = grads
    assert np.array_equal(dx[1], np.zeros(3)) and not np.allclose(their_dx[1], 0.0)  # the zero row's dx
    assert not np.allclose(db, their_db) and np.allclose(dx[[0, 2, 3]], their_dx[[0, 2, 3]])


def test_train_refuses_wrong_or_uncompilable_kernels(tmp_path):
    student_file(tmp_path / "wrong", "dense", TRANSPOSED)
    out = subprocess.run([sys.executable, "-m", "minigan", "train", "--kernels", str(tmp_path / "wrong"), "--limit", "64",
                          "--epochs", "1", "--out", str(tmp_path / "run")], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 1 and "dense.py is not right yet" in out.stderr and "lab check dense" in out.stderr
    assert not (tmp_path / "run" / "checkpoint.npz").exists()
    student_file(tmp_path / "slow", "relu", UNCOMPILABLE["np.vectorize"][0])
    with pytest.raises(commands.LabError, match="right, but not for training: Numba cannot compile line 5"):
        from minigan.lab.kernels import student_backend

        student_backend(tmp_path / "slow")


MINIGAN_STEPS = {"dense": "reference/dense", "relu": "reference/activations", "leaky_relu": "reference/activations",
                 "tanh": "reference/activations", "sigmoid": "reference/activations", "bce_with_logits": "cpu/losses",
                 "conv2d": "reference/conv2d", "batchnorm": "reference/batchnorm", "adam": "reference/optim"}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_minigans_own_step_files_pass_their_exercise(name):
    """The exercises are the readable engine's steps: minigan's own file for each, checked as a
    student's file would be, is right."""
    report = grade(name, REPO / "kernels" / f"{MINIGAN_STEPS[name]}.py", seed=9, jit=False)
    assert report["right"], report["problems"] or report["error"]


def test_kernels_reference_is_the_readable_engine_and_a_folder_of_that_name_is_dot_slash(tmp_path, monkeypatch):
    import kernels.reference
    from minigan import validate
    from minigan.lab.kernels import training_kernels

    monkeypatch.chdir(tmp_path)
    assert validate.kernels("--kernels", "reference", "cpu", False) == "reference"
    assert training_kernels("reference", log=lambda line: None) is kernels.reference
    (tmp_path / "reference").mkdir()
    with pytest.raises(validate.UsageError, match=r"give it as \./reference"):
        validate.kernels("--kernels", "reference", "cpu", False)
    assert validate.kernels("--kernels", "./reference", "cpu", False) == "./reference"
    with pytest.raises(commands.LabError, match="no exercise files there"):
        training_kernels("./reference", log=lambda line: None)
    with pytest.raises(validate.UsageError, match="no such folder"):
        validate.kernels("--kernels", "mylba", "cpu", False)


def test_the_readable_engine_is_refused_on_cuda_and_under_mpi_with_the_way_out(tmp_path):
    from minigan import validate

    for device, parallel in (("cuda", False), ("cpu", True)):
        with pytest.raises(validate.UsageError, match="on the cpu in one process: drop --device cuda and mpiexec"):
            validate.kernels("--kernels", "reference", device, parallel)
    out = subprocess.run([sys.executable, "-m", "minigan", "train", "--kernels", "reference", "--device", "cuda",
                          "--out", str(tmp_path / "run")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "on the cpu in one process" in out.stderr  # refused before anything is written
    assert not (tmp_path / "run").exists()
