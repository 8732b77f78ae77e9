"""Grading a student's file: the part that runs the student's code.

    python -m minigan.lab.grader SEED [--no-jit] EXERCISE FILE [EXERCISE FILE ...]

runs in a child process (minigan/lab/commands.py starts it with a time limit, so that a
hang or a crash in the student's code is reported as theirs) and prints a JSON list of reports, one per file.
The student's functions run first as plain Python on every case, so an error names its
line; when they are right, they are compiled with Numba (all of the file's functions at
once, so that they can call each other) and run once more, which is what training with
them (`train --kernels`) needs.
"""

import importlib.util
import json
import sys
import traceback
from pathlib import Path

import numpy as np

from minigan.gradcheck import compare
from minigan.lab.exercises import EXERCISES
from minigan.lab.mistakes import close, diagnose


class StudentError(Exception):
    """The student's code raised; .report says where, in their file."""

    def __init__(self, report):
        super().__init__(report["message"])
        self.report = report


def error_info(message, line=None, text=None, function=None):
    """A report's error: what went wrong and, when it was the student's code, where in their file."""
    return {"message": message, "line": line, "text": text, "function": function}


def new_report(name, path, seed, error=None):
    """A report before anything is judged; error: why the file could not be graded at all."""
    return {"exercise": name, "file": str(path), "seed": seed, "right": False, "cases": [], "problems": [],
            "error": None if error is None else error_info(error), "not_written": None, "numba": None}


def where_in_file(err, path):
    """-> error_info for an exception raised from the student's file."""
    path = str(Path(path).resolve())
    message = f"{type(err).__name__}: {err}"
    if isinstance(err, SyntaxError) and err.filename and str(Path(err.filename).resolve()) == path:
        return error_info(message, err.lineno, (err.text or "").strip())
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if str(Path(frame.filename).resolve()) == path:
            return error_info(message, frame.lineno, (frame.line or "").strip(), frame.name)
    return error_info(message)


def load(path, name):
    spec = importlib.util.spec_from_file_location(f"student_{name}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # noqa: BLE001  (whatever the student's file raises is theirs)
        raise StudentError(where_in_file(err, path)) from None
    return module


def call(fn, path):
    try:
        with np.errstate(all="ignore"):
            return fn()
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001
        raise StudentError(where_in_file(err, path)) from None


def as_outputs(exercise, out):
    """The student's return value as one entry per expected gradient, or a problem message."""
    n = len(exercise.gradients)
    if n == 1 and not isinstance(out, tuple):
        out = (out,)
    if not isinstance(out, (tuple, list)) or len(out) != n:
        got = f"{len(out)} values" if isinstance(out, (tuple, list)) else type(out).__name__
        return None, f"returned {got}; expected {n}: ({', '.join(exercise.gradients)})"
    return list(out), None


def judge(exercise, case, grad, value, expected, numeric):
    """-> (row for the report, problem or None) for one returned array."""
    row = {"reference": None, "gradcheck": None}
    if value is None:
        return row, {"mistake": None, "message": f"{grad} is None: return an array shaped like {expected.shape}"}
    value = np.asarray(value, dtype=np.float64)
    if value.shape != expected.shape:
        row["shape"] = [list(value.shape), list(expected.shape)]
    else:
        with np.errstate(invalid="ignore"):
            row["reference"] = compare(grad, value, expected).rel_error
            if grad in numeric:
                row["gradcheck"] = compare(grad, value, numeric[grad]).rel_error
    if close(value, expected) and np.all(np.isfinite(value)):
        return row, None
    found = diagnose(exercise.name, grad, value, expected, case)
    if found:
        return row, {"mistake": found[0], "message": found[1]}
    if value.shape != expected.shape:
        return row, {"mistake": None, "message": f"{grad} has shape {value.shape}; expected {expected.shape}"}
    j = np.unravel_index(int(np.nanargmax(np.abs(value - expected))), value.shape) if np.all(np.isfinite(value)) else \
        np.unravel_index(int(np.argmax(~np.isfinite(value))), value.shape)
    return row, {"mistake": None, "message": f"{grad} is wrong: at index {tuple(int(i) for i in j)} it is "
                                             f"{value[j]:.6g}, the right value is {expected[j]:.6g}"}


def grade_cases(exercise, module, cases, path):
    rows, problems = [], []
    for case in cases:
        outputs, problem = as_outputs(exercise, call(lambda c=case: exercise.run_student(module, c), path))
        expected, numeric = exercise.expected(case), exercise.numeric(case)
        row = {"case": case.label, "grads": {}}
        if problem:
            problems.append({"case": case.label, "grad": None, "mistake": None, "message": problem})
        else:
            for grad, value in zip(exercise.gradients, outputs):
                row["grads"][grad], p = judge(exercise, case, grad, value, expected[grad], numeric)
                if p:
                    problems.append({"case": case.label, "grad": grad, **p})
        rows.append(row)
    return rows, problems


def jit_module(module, exercise):
    """Replace the exercise's functions in the student's module by their Numba compilations
    (in the module's namespace, so that calls between them compile too) -> the originals."""
    from numba import njit

    python = {n: getattr(module, n) for n in (*exercise.writes, *exercise.given) if callable(getattr(module, n, None))}
    for n, fn in python.items():
        setattr(module, n, njit(fn))
    return python


def run_compiled(module, exercise, case):
    """-> (the compiled functions' outputs on case, None) or (None, why they did not compile or run)."""
    from numba.core.errors import NumbaError

    try:
        with np.errstate(all="ignore"):
            return exercise.run_student(module, case), None
    except NumbaError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, f"Numba cannot compile it ({first})"
    except Exception as err:  # noqa: BLE001
        return None, f"compiled, it raised {type(err).__name__}: {err}"


def compile_with_numba(module, exercise, case):
    """Compile the student's functions and check they give what the Python ones gave -> a status line."""
    before = exercise.run_student(module, case)
    python = jit_module(module, exercise)
    try:
        after, why = run_compiled(module, exercise, case)
    finally:
        for n, fn in python.items():
            setattr(module, n, fn)
    if why:
        return f"not compiled: {why}"
    if not all(close(a, b) for a, b in zip(as_outputs(exercise, before)[0], as_outputs(exercise, after)[0])):
        return "not compiled: compiled, it gives different results from the Python version"
    return "compiled"


def grade(name, path, seed, jit=True):
    """-> the report (a dict) of EXERCISE `name` for the student's file at `path`."""
    exercise = EXERCISES[name]
    report = new_report(name, path, seed)
    cases = exercise.cases(np.random.default_rng(seed))
    try:
        module = load(path, name)
        missing = [n for n in exercise.writes if not callable(getattr(module, n, None))]
        if missing:
            report["error"] = error_info(f"the file defines no {', '.join(missing)}")
            return report
        report["cases"], report["problems"] = grade_cases(exercise, module, cases, path)
    except NotImplementedError as err:
        report["not_written"] = str(err) or "a function still raises NotImplementedError"
        return report
    except StudentError as err:
        report["error"] = err.report
        return report
    report["right"] = not report["problems"]
    if report["right"] and jit:
        report["numba"] = compile_with_numba(module, exercise, cases[0])
    return report


if __name__ == "__main__":
    args = sys.argv[1:]
    seed, jit = int(args.pop(0)), args[0] != "--no-jit"
    pairs = args[0 if jit else 1:]
    print(json.dumps([grade(name, file, seed, jit) for name, file in zip(pairs[::2], pairs[1::2])]))
