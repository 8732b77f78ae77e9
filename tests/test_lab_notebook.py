"""minigan.lab.check, the notebook's way in: a file or functions defined in the caller, graded
by the same child process as `python -m minigan lab check`, printed as it prints."""

import subprocess
import sys
from math import copysign  # noqa: F401  (read by relu_backward_with_helper's helper)

import numpy as np
import pytest
from conftest import REPO

from minigan.lab import LabReport, check
from minigan.lab.commands import LabError

SOLUTIONS = REPO / "tests" / "lab"
ZERO = 0.0


def relu_backward(dy, x):
    return dy * (x > ZERO)


def slope(v):
    return 1.0 if copysign(1.0, v) > 0 and v != 0 else 0.0


def relu_backward_with_helper(dy, x):
    dx = np.empty_like(dy)
    for i in range(x.size):
        dx.flat[i] = dy.flat[i] * slope(x.flat[i])
    return dx


def relu_backward_transposed(dy, x):
    return (dy * (x > 0)).T


def relu_backward_raising(dy, x):
    mask = x > 0
    return dy[mask, 0]


def test_the_text_is_lab_checks_and_passed_its_verdict(tmp_path):
    cli = subprocess.run([sys.executable, "-m", "minigan", "lab", "check", "dense", str(SOLUTIONS / "dense.py"),
                          "--seed", "4"], cwd=REPO, capture_output=True, text=True, timeout=300)
    report = check("dense", SOLUTIONS / "dense.py", seed=4)
    assert isinstance(report, LabReport) and report.passed and cli.returncode == 0
    assert str(report) == cli.stdout.rstrip("\n")
    shown = []

    class Printer:  # IPython's pretty printer, as far as _repr_pretty_ uses it
        text = shown.append

    report._repr_pretty_(Printer(), cycle=False)
    assert shown == [str(report)]


def test_functions_from_the_caller_with_their_helpers_imports_and_constants():
    report = check("relu", relu_backward, seed=3)
    assert report.passed and "RIGHT" in str(report) and "the notebook's relu_backward" in str(report)
    report = check("relu", [relu_backward_with_helper], seed=3)
    assert report.passed, str(report)  # slope() and copysign came along
    wrong = check("relu", relu_backward_transposed, seed=3)
    assert not wrong.passed and "WRONG" in str(wrong)


def test_an_error_names_the_line_in_the_callers_cell():
    report = check("relu", relu_backward_raising, seed=3)
    first = relu_backward_raising.__code__.co_firstlineno
    assert not report.passed
    assert f"YOUR CODE RAISED at line {first + 2} (in relu_backward_raising)" in str(report)
    assert "return dy[mask, 0]" in str(report)


def test_bad_arguments_say_the_fix():
    with pytest.raises(LabError, match="no exercise 'rleu'"):
        check("rleu", relu_backward)
    with pytest.raises(LabError, match="functions defined with def"):
        check("relu", [np.maximum])
    with pytest.raises(ValueError, match="timeout_s must be a finite number > 0.0"):
        check("relu", relu_backward, timeout_s=0)
