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
import linecache
import os
import re
import sys
import traceback
import types
from pathlib import Path

import numpy as np

from minigan.lab.exercises import EXERCISES
from minigan.lab.mistakes import (BY_FEATURE, PATTERN_NAMES, TOLERANCE, UNSET, Answer, close, diagnose, explain_all,
                                  locate, named_error)

RECORD_KEY = "__record__"  # the RESULTS entry that holds the JSON record beside the arrays
NO_RESULTS = ("your code ended the Python process before the grader had its results, or wrote them itself: "
              "do not call exit(), sys.exit() or os._exit() in it")


class StudentError(Exception):
    """The student's code raised; .report says where, in their file."""

    def __init__(self, report):
        super().__init__(report["message"])
        self.report = report


def error_info(message, line=None, text=None, function=None):
    """A report's error: what went wrong and, when it was the student's code, where in their file
    (and on which case: run_file adds it)."""
    return {"message": message, "line": line, "text": text, "function": function, "case": None}


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


def judge(exercise, case, grad, value, expected, numeric, others, returned, unset_memory=False):
    """-> (row for the report, problem or None, the Answer diagnosed or None) for one returned
    array; others: the case's right answers by name, returned: the student's (a gradient
    returned in another's place is named so)."""
    row = {"reference": None, "gradcheck": None}
    if value is None or isinstance(value, Foreign):
        what = "None" if value is None else f"a {value.kind}"
        return row, {"mistake": None, "kind": "none",
                     "message": f"{grad} is {what}: return an array shaped like {expected.shape}"}, None
    value = np.asarray(value, dtype=np.float64)
    if value.shape != expected.shape:
        row["shape"] = [list(value.shape), list(expected.shape)]
    else:
        with np.errstate(invalid="ignore"):
            row["reference"] = exercise.relative_error(grad, value, expected, case)
            if grad in numeric:
                row["gradcheck"] = exercise.relative_error(grad, value, numeric[grad], case)
        if np.all(np.isfinite(value)) and row["reference"] <= TOLERANCE:
            return row, None, None
    answer = Answer(exercise, grad, value, expected, case, others, returned, unset_memory)
    found = diagnose(answer)
    if found:
        return row, {"mistake": found[0], "kind": found[0], "message": found[1]}, answer
    kind, where = locate(answer)
    return row, {"mistake": None, "kind": kind, "message": where}, answer


def changed_input(exercise, name, before, after):
    """The problem of a call that wrote into its input ``name``."""
    after = np.asarray(after)
    n = int(np.sum(~np.isclose(after, before, rtol=0, atol=0, equal_nan=True))) if after.shape == before.shape else None
    how = f"{n} of {before.size} entries changed" if n is not None else f"now shaped {after.shape}"
    return {"mistake": "input changed in place", "kind": "input changed in place", "grad": name,
            "message": f"{' / '.join(exercise.writes)} wrote into its input {name} ({how}): the caller still needs "
                       f"{name} after the call (in training another step reads it). Put the result in an array of "
                       f"your own (dy * mask and np.where make one; dx = dy.copy() before writing into it)"}


def jit_module(module, exercise):
    """Replace every function the student's file defines by its Numba compilation, in the
    module's namespace, so that the exercise's functions and the helpers they call compile
    together -> the originals, by name."""
    from numba import njit

    python = {n: fn for n, fn in vars(module).items()
              if isinstance(fn, types.FunctionType) and fn.__module__ == module.__name__}
    for n, fn in python.items():
        setattr(module, n, njit(fn))
    return python


NUMBA_HINTS = {  # Numba's internal function that failed -> what to write instead
    "fancy_setslice": "Numba assigns through a boolean mask (a[mask] = v) on 1-D arrays only: write np.where(...), "
                      "or a loop over the entries",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def numba_failure(err):
    """Why Numba could not compile the file, its informative line first, with the line of the
    student's file it was at when it says."""
    text = ANSI.sub("", str(err))
    lines = [ln.strip() for ln in text.splitlines()]
    useful = [ln for ln in lines if ln and not ln.startswith(("Failed in ", "During:", "File ", "^", "def "))
              and not ln.startswith("Enable logging")]
    first = useful[0] if useful else type(err).__name__
    at = re.search(r'File "([^"]+)", line (\d+)', text)
    where = ""
    if at:
        source = linecache.getline(at.group(1), int(at.group(2))).strip()
        where = f" line {at.group(2)}" + (f" ({source})" if source else "")
    return f"Numba cannot compile{where or ' it'}: {first.rstrip(':.')}"


def numba_internal_failure(err):
    """An exception from inside Numba's compiler (not a NumbaError): the line it was compiling,
    found in the compiler's frames, and what to write instead when it is a known gap."""
    loc, names = None, []
    tb = err.__traceback__
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        loc = getattr(owner, "loc", None) if hasattr(getattr(owner, "loc", None), "line") else loc
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    known = [n for n in names if n in NUMBA_HINTS]
    inner = known[-1] if known else next((n for n in reversed(names) if not n.startswith("_")), names[-1])
    where = " it"
    if loc is not None:
        source = linecache.getline(loc.filename, loc.line).strip()
        where = f" line {loc.line}" + (f" ({source})" if source else "")
    hint = NUMBA_HINTS.get(inner, "write that line another way (a loop over the entries always compiles)")
    detail = f": {err}" if str(err) else ""
    return f"Numba cannot compile{where}: its compiler failed ({type(err).__name__}{detail} in {inner}); {hint}"


def run_compiled(module, exercise, case):
    """-> (the compiled functions' outputs on case, None) or (None, why they did not compile or run)."""
    from numba.core.errors import NumbaError

    try:
        with np.errstate(all="ignore"):
            return exercise.run_student(module, case), None
    except NumbaError as err:
        return None, numba_failure(err)
    except Exception as err:  # noqa: BLE001
        frames = traceback.extract_tb(err.__traceback__)
        if any(f"{os.sep}numba{os.sep}" in f.filename for f in frames):
            return None, numba_internal_failure(err)
        return None, f"Numba compiled it, and the compiled code raised {type(err).__name__}: {err}".rstrip(": ")


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


class UnsetMemory:
    """While the student's Python runs, np.empty and np.empty_like hand out float arrays full of
    a NaN of the grader's own (mistakes.UNSET), and note whether they did: memory that the code
    reads before it writes is then wrong at every seed (a real np.empty holds whatever was there,
    often zeros, so such a file would pass or fail by chance), and the parent can name it.
    Numba's np.empty is not touched."""

    def __init__(self):
        self.used = False

    def _poisoned(self, make):
        def made(*args, **kwargs):
            self.used = True
            out = make(*args, **kwargs)
            if out.dtype.kind in "fc":
                out.fill(UNSET)
            return out
        return made

    def __enter__(self):
        self._real = np.empty, np.empty_like
        np.empty, np.empty_like = self._poisoned(np.empty), self._poisoned(np.empty_like)
        return self

    def __exit__(self, *exc):
        np.empty, np.empty_like = self._real


def run_python(exercise, path, cases, arrays, record):
    """Load the student's file and run it as Python on a copy of every case, into ``arrays`` and
    ``record`` -> the module, or None when it lacks a function the exercise asks for."""
    module = load(path, exercise.name)
    record["missing"] = [n for n in exercise.writes if not callable(getattr(module, n, None))]
    if record["missing"]:
        return None
    for i, case in enumerate(cases):
        mine = copy.deepcopy(case)
        try:
            returned = call(lambda c=mine: exercise.run_student(module, c), path)
        except StudentError as err:
            err.report["case"] = case.label
            raise
        record["runs"].append(pack(returned, mine, f"{exercise.name}/{i}", arrays))
    return module


def run_file(exercise, path, cases, jit, arrays):
    """Run the student's file at ``path`` on a copy of every case (then compiled, on the first,
    when they all ran and ``jit``), putting what came back into ``arrays`` -> the file's record."""
    record = {"error": None, "not_written": None, "missing": [], "runs": [], "numba": None, "unset_memory": False}
    unset = UnsetMemory()
    try:
        with unset:
            module = run_python(exercise, path, cases, arrays, record)
    except NotImplementedError as err:
        record["not_written"] = str(err) or "a function still raises NotImplementedError"
        return record
    except StudentError as err:
        record["error"] = err.report
        return record
    finally:
        record["unset_memory"] = unset.used
    if module is not None and jit:
        mine = copy.deepcopy(cases[0])
        python = jit_module(module, exercise)
        try:
            returned, why = run_compiled(module, exercise, mine)
        finally:
            for n, fn in python.items():
                setattr(module, n, fn)
        record["numba"] = {"why": why, "run": None if why else pack(returned, mine, f"{exercise.name}/numba", arrays)}
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


def case_arrays(case):
    """The case's input arrays, dy included, by name."""
    return {k: v for k, v in {**case.inputs, "dy": case.dy}.items() if isinstance(v, np.ndarray)}


def changed_inputs(case, after):
    """The names of the case's input arrays that the call changed (Adam's are meant to change)."""
    return sorted(k for k, v in case_arrays(case).items()
                  if after[k].shape != v.shape or not np.array_equal(after[k], v, equal_nan=True))


def judge_file(exercise, path, seed, cases, record, arrays, gradcheck=True):
    """The verdict on one file, from the child's record and arrays -> its report. gradcheck
    False leaves the finite-difference column empty (the verdict never rests on it)."""
    report = new_report(exercise.name, path, seed)
    if record["missing"]:
        report["error"] = error_info(f"the file defines no {', '.join(record['missing'])}")
        return report
    if record["not_written"] or record["error"]:
        report["not_written"], report["error"] = record["not_written"], record["error"]
        if report["error"]:
            report["error"]["mistake"] = named_error(exercise, cases, report["error"])
        return report
    if len(record["runs"]) != len(cases):
        report["error"] = error_info(f"{NO_RESULTS} ({len(record['runs'])} of {len(cases)} cases came back)")
        return report
    outputs0, judged = None, []
    for i, (case, run) in enumerate(zip(cases, record["runs"])):
        returned, after = unpack(run, f"{exercise.name}/{i}", arrays)
        outputs, problem = as_outputs(exercise, returned)
        outputs0 = outputs if i == 0 else outputs0
        expected = exercise.expected(case)
        numeric = exercise.numeric(case) if gradcheck else {}
        changed = changed_inputs(case, after)
        row = {"case": case.label, "grads": {}, "inputs_changed": changed}
        for name in changed:
            if name not in exercise.updates:
                report["problems"].append({"case": case.label, **changed_input(exercise, name, case_arrays(case)[name],
                                                                               after[name])})
        if problem:
            report["problems"].append({"case": case.label, "grad": None, "mistake": None, "kind": "returned",
                                       "message": problem})
        else:
            mine = {g: np.asarray(v, np.float64) for g, v in zip(exercise.gradients, outputs)
                    if v is not None and not isinstance(v, Foreign)}
            for grad, value in zip(exercise.gradients, outputs):
                row["grads"][grad], p, answer = judge(exercise, case, grad, value, expected[grad], numeric, expected,
                                                      mine, record.get("unset_memory") is True)
                if p:
                    report["problems"].append({"case": case.label, "grad": grad, **p})
                if answer:
                    judged.append((report["problems"][-1], answer))
        report["cases"].append(row)
    names_that_explain_every_case(judged)
    name_by_feature(exercise, cases, report["problems"])
    report["right"] = not report["problems"]
    if report["right"] and record["numba"] is not None:
        report["numba"] = numba_status(exercise, record["numba"], outputs0, arrays)
    return report


def names_that_explain_every_case(judged):
    """A name stays on an array where it explains the array in every case it is wrong in (a
    file whose param did not move at t = 1 but moved wrongly later did not forget to write in
    place): the first mistake that does is given to all of them. Else the mistake found in most
    of them stays there; else a pattern (scaled by a known factor, one branch wrong) that
    explains every case; and the rest are reported by where they are wrong. "sigmoid overflow"
    names only a file whose finite cases are right."""
    by_grad = {}
    for problem, answer in judged:
        by_grad.setdefault(answer.grad, []).append((problem, answer))
    for items in by_grad.values():
        rest = [(p, a) for p, a in items if p["mistake"] != "sigmoid overflow"]
        if rest:
            unname([(p, a) for p, a in items if p["mistake"] == "sigmoid overflow"])
        names = list(dict.fromkeys(p["mistake"] for p, _ in rest if p["mistake"]))
        if len(names) == 1 and all(p["mistake"] for p, _ in rest):
            continue
        mistakes = [n for n in names if n not in PATTERN_NAMES]

        def most_of(found):  # the name found in most cases, if one is
            counts = {n: sum(p["mistake"] == n for p, _ in rest) for n in found}
            return max(counts, key=counts.get) if counts and 2 * max(counts.values()) > len(rest) else None

        most = most_of(mistakes)
        for name in mistakes + ([] if most or not names else list(PATTERN_NAMES)):
            messages = explain_all(name, [a for _, a in rest])
            if messages:
                for (p, _), message in zip(rest, messages):
                    p.update(mistake=name, kind=name, message=message)
                break
        else:  # no one name for all: the one found in most cases stays where it was found
            keep = most or (None if mistakes else most_of(names))
            unname([(p, a) for p, a in rest if p["mistake"] != keep])


def name_by_feature(exercise, cases, problems):
    """Faults that no mistake names, seen in exactly the cases with one property (a stride
    above 1, soft targets, a step after the first, ...) and in no other: named by it."""
    wrong = {p["case"] for p in problems}
    unnamed = [p for p in problems if p["mistake"] is None and p.get("grad")]
    if not unnamed or len(wrong) == len(cases):
        return
    features = [exercise.features(c) for c in cases]
    found = [f for f in features[0] if {c.label for c, has in zip(cases, features) if has[f]} == wrong]
    if found:
        for p in unnamed:
            p.update(mistake=BY_FEATURE, kind=BY_FEATURE,
                     message=f"{p['grad']} is right in every case without {' / '.join(found)} and wrong in every case "
                             f"with it: look at what your code does there. {p['message']}")


def unname(items):
    for problem, answer in items:
        if problem["mistake"]:
            kind, where = locate(answer)
            problem.update(mistake=None, kind=kind, message=where)


def numba_status(exercise, numba, python_outputs, arrays):
    """-> "compiled" when the compiled functions gave what the Python ones gave on the first case,
    else why not."""
    if numba["why"]:
        return f"not compiled. {numba['why']}"
    compiled, _ = as_outputs(exercise, unpack(numba["run"], f"{exercise.name}/numba", arrays)[0])
    if compiled is None or not all(a is not None and not isinstance(a, Foreign) and close(a, b)
                                   for a, b in zip(compiled, python_outputs)):
        return ("compiled, but the compiled code gives other results than the Python code on the first case "
                "(an integer array where floats belong? Numba keeps a variable's first type)")
    return "compiled"


def grade(name, path, seed, jit=True, gradcheck=True):
    """-> the report of EXERCISE ``name`` for the student's file at ``path``, all in this process
    (the tests' fast path; `lab check` puts the student's part in a child: commands.run_graders)."""
    exercise = EXERCISES[name]
    cases = exercise.cases(np.random.default_rng(seed))
    arrays = {}
    record = run_file(exercise, path, cases, jit, arrays)
    return judge_file(exercise, path, seed, cases, record, arrays, gradcheck)


if __name__ == "__main__":
    args = sys.argv[1:]
    cases_file, results_file, jit = args[0], args[1], args[2] != "--no-jit"
    rest = args[2 if jit else 3:]
    child(cases_file, results_file, jit, list(zip(rest[::2], rest[1::2])))
