"""Grading a student's file, in two processes: the student's code runs in a child, the
verdict is reached in the parent, where that code cannot reach.

    python -m minigan.lab.grader CASES RESULTS [--no-jit] EXERCISE FILE [EXERCISE FILE ...]

is the child (minigan/lab/commands.py starts it with a time limit, so that a hang or a
crash in the student's code is reported as theirs). The parent makes the cases and hands
them over in CASES (a pickle: the parent trusts what it wrote); the child runs the
student's functions on a copy of each case, as plain Python first so that an error names
its line, then (when they all ran) compiled with Numba, all of the file's functions at
once so that they can call each other: what training with them (`train --kernels`) needs.
It writes to RESULTS, as an .npz of plain arrays that the parent loads without pickles,
every array the functions returned and every input array as the call left it, and what
went wrong if something did. The parent compares them with the right answers and decides
(judge_file). A file that writes a report of its own, or ends the child early, gets no
verdict from it: missing or malformed results are graded wrong.
"""

import copy
import importlib.util
import json
import sys
import traceback
from pathlib import Path

import numpy as np

from minigan.gradcheck import compare
from minigan.lab.exercises import EXERCISES
from minigan.lab.mistakes import close, diagnose

RECORD_KEY = "__record__"  # the RESULTS entry that holds the JSON record beside the arrays
NO_RESULTS = ("your code ended the Python process before the grader had its results, or wrote them itself: "
              "do not call exit(), sys.exit() or os._exit() in it")


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
        got = f"{len(out)} values" if isinstance(out, (tuple, list)) else kind_of(out)
        return None, f"returned {got}; expected {n}: ({', '.join(exercise.gradients)})"
    return list(out), None


class Foreign:
    """A returned value that is neither None nor an array of numbers, known by its type's name
    (the child sends arrays only)."""

    def __init__(self, kind):
        self.kind = kind


def kind_of(value):
    return value.kind if isinstance(value, Foreign) else type(value).__name__


def judge(exercise, case, grad, value, expected, numeric):
    """-> (row for the report, problem or None) for one returned array."""
    row = {"reference": None, "gradcheck": None}
    if value is None or isinstance(value, Foreign):
        what = "None" if value is None else f"a {value.kind}"
        return row, {"mistake": None, "message": f"{grad} is {what}: return an array shaped like {expected.shape}"}
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


# -- the child: run the student's functions, send back what they returned and left -----------

def numbers(value):
    """``value`` as an array of numbers, or None when it is not one (None, a dict, a ragged list, ...)."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001  (whatever the student returned)
        return None
    return array if value is not None and array.dtype.kind in "biuf" else None


def pack(returned, case, key, arrays):
    """Put one call's results into ``arrays`` under ``key``/...: the returned values (out/J) and the
    case's input arrays as the call left them (in/NAME, in/dy) -> the call's record."""
    container = type(returned).__name__ if isinstance(returned, (tuple, list)) else None
    kinds = []
    for j, value in enumerate(returned if container else [returned]):
        as_array = numbers(value)
        if as_array is not None:
            arrays[f"{key}/out/{j}"] = as_array
            kinds.append("array")
        else:
            kinds.append("None" if value is None else type(value).__name__)
    after = {**case.inputs, **({} if case.dy is None else {"dy": case.dy})}
    for name, value in after.items():
        if isinstance(value, np.ndarray):
            arrays[f"{key}/in/{name}"] = value
    return {"container": container, "kinds": kinds}


def run_file(exercise, path, cases, jit, arrays):
    """Run the student's file at ``path`` on a copy of every case (then compiled, on the first,
    when they all ran and ``jit``), putting what came back into ``arrays`` -> the file's record."""
    record = {"error": None, "not_written": None, "missing": [], "runs": [], "numba": None}
    name = exercise.name
    try:
        module = load(path, name)
        record["missing"] = [n for n in exercise.writes if not callable(getattr(module, n, None))]
        if record["missing"]:
            return record
        for i, case in enumerate(cases):
            mine = copy.deepcopy(case)
            returned = call(lambda c=mine: exercise.run_student(module, c), path)
            record["runs"].append(pack(returned, mine, f"{name}/{i}", arrays))
    except NotImplementedError as err:
        record["not_written"] = str(err) or "a function still raises NotImplementedError"
        return record
    except StudentError as err:
        record["error"] = err.report
        return record
    if jit:
        mine = copy.deepcopy(cases[0])
        python = jit_module(module, exercise)
        try:
            returned, why = run_compiled(module, exercise, mine)
        finally:
            for n, fn in python.items():
                setattr(module, n, fn)
        record["numba"] = {"why": why, "run": None if why else pack(returned, mine, f"{name}/numba", arrays)}
    return record


def child(cases_path, results_path, jit, pairs):
    """The child's whole work: {exercise: record} and every array, written to results_path."""
    import pickle

    with open(cases_path, "rb") as f:
        cases = pickle.load(f)
    arrays, records = {}, {}
    for name, path in pairs:
        records[name] = run_file(EXERCISES[name], path, cases[name], jit, arrays)
    arrays[RECORD_KEY] = np.array(json.dumps(records))
    with open(results_path, "wb") as f:
        np.savez(f, **arrays)


# -- the parent: the verdict ------------------------------------------------------------------

def well_formed(record, exercise, cases, arrays):
    """Whether the child's record of one file has the shape run_file gives it, every array it
    names present and every input array of its case: anything else was not written by the
    grader's child (the student's code wrote it, or cut it short)."""
    def run_ok(run, key, case):
        kinds = run["kinds"]
        inputs = [k for k, v in {**case.inputs, "dy": case.dy}.items() if isinstance(v, np.ndarray)]
        named = [f"{key}/out/{j}" for j, k in enumerate(kinds) if k == "array"] + [f"{key}/in/{n}" for n in inputs]
        return ((run["container"] in ("tuple", "list") or (run["container"] is None and len(kinds) == 1))
                and all(isinstance(k, str) for k in kinds)
                and all(n in arrays and arrays[n].dtype.kind in "biuf" for n in named))

    try:
        runs, numba = record["runs"], record["numba"]
        fields = (isinstance(record["missing"], list) and isinstance(runs, list) and len(runs) <= len(cases)
                  and (record["not_written"] is None or isinstance(record["not_written"], str))
                  and (record["error"] is None or {"message", "line", "text", "function"} <= record["error"].keys()))
        return bool(fields and all(run_ok(r, f"{exercise.name}/{i}", c) for i, (r, c) in enumerate(zip(runs, cases)))
                    and (numba is None or isinstance(numba["why"], str) or run_ok(numba["run"], f"{exercise.name}/numba",
                                                                                  cases[0])))
    except (KeyError, TypeError, AttributeError, IndexError):
        return False


def unpack(run, key, arrays):
    """-> (the returned value as the student's function gave it, the input arrays after the call)."""
    values = [arrays[f"{key}/out/{j}"] if kind == "array" else None if kind == "None" else Foreign(kind)
              for j, kind in enumerate(run["kinds"])]
    returned = {"tuple": tuple, "list": list}[run["container"]](values) if run["container"] else values[0]
    prefix = f"{key}/in/"
    return returned, {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def changed_inputs(case, after):
    """The names of the case's input arrays that the call changed (Adam's are meant to change)."""
    before = {**case.inputs, "dy": case.dy}
    return sorted(k for k, v in before.items() if isinstance(v, np.ndarray)
                  and not np.array_equal(after[k], v, equal_nan=True))


def judge_file(exercise, path, seed, cases, record, arrays):
    """The verdict on one file, from the child's record and arrays -> its report."""
    report = new_report(exercise.name, path, seed)
    if record["missing"]:
        report["error"] = error_info(f"the file defines no {', '.join(record['missing'])}")
        return report
    if record["not_written"] or record["error"]:
        report["not_written"], report["error"] = record["not_written"], record["error"]
        return report
    if len(record["runs"]) != len(cases):
        report["error"] = error_info(f"{NO_RESULTS} ({len(record['runs'])} of {len(cases)} cases came back)")
        return report
    outputs0 = None
    for i, (case, run) in enumerate(zip(cases, record["runs"])):
        returned, after = unpack(run, f"{exercise.name}/{i}", arrays)
        outputs, problem = as_outputs(exercise, returned)
        outputs0 = outputs if i == 0 else outputs0
        expected, numeric = exercise.expected(case), exercise.numeric(case)
        row = {"case": case.label, "grads": {}, "inputs_changed": changed_inputs(case, after)}
        if problem:
            report["problems"].append({"case": case.label, "grad": None, "mistake": None, "message": problem})
        else:
            for grad, value in zip(exercise.gradients, outputs):
                row["grads"][grad], p = judge(exercise, case, grad, value, expected[grad], numeric)
                if p:
                    report["problems"].append({"case": case.label, "grad": grad, **p})
        report["cases"].append(row)
    report["right"] = not report["problems"]
    if report["right"] and record["numba"] is not None:
        report["numba"] = numba_status(exercise, record["numba"], outputs0, arrays)
    return report


def numba_status(exercise, numba, python_outputs, arrays):
    """-> "compiled" when the compiled functions gave what the Python ones gave on the first case."""
    if numba["why"]:
        return f"not compiled: {numba['why']}"
    compiled, _ = as_outputs(exercise, unpack(numba["run"], f"{exercise.name}/numba", arrays)[0])
    if compiled is None or not all(a is not None and not isinstance(a, Foreign) and close(a, b)
                                   for a, b in zip(compiled, python_outputs)):
        return "not compiled: compiled, it gives different results from the Python version"
    return "compiled"


def grade(name, path, seed, jit=True):
    """-> the report of EXERCISE ``name`` for the student's file at ``path``, all in this process
    (the tests' fast path; `lab check` puts the student's part in a child: commands.run_graders)."""
    exercise = EXERCISES[name]
    cases = exercise.cases(np.random.default_rng(seed))
    arrays = {}
    record = run_file(exercise, path, cases, jit, arrays)
    return judge_file(exercise, path, seed, cases, record, arrays)


if __name__ == "__main__":
    args = sys.argv[1:]
    cases_file, results_file, jit = args[0], args[1], args[2] != "--no-jit"
    rest = args[2 if jit else 3:]
    child(cases_file, results_file, jit, list(zip(rest[::2], rest[1::2])))
