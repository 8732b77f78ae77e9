"""check(exercise, source) for a notebook: the same grade as `python -m minigan lab check`.

    from minigan.lab import check
    check("relu", relu_backward)          # functions defined in the notebook
    check("relu", "mylab/relu.py")        # or a file

``source`` is a path to an exercise file, or one or more functions. Functions are written
into a temporary file with what they need from the notebook: the modules and functions they
import (``np``, ``from math import exp``), the plain constants they read, the notebook's
other functions they call, and the exercise's given forward where the notebook has none.
Functions named otherwise than the exercise's stand for the ones it asks for, in order
(``check("relu", my_relu_backward)``). That file goes through the very grader `lab check`
uses (minigan/lab/commands.py: the student's code runs in a child process, the verdict is
reached outside it), so a grade from a notebook is as hard to forge as one from the
command line.
"""

import ast
import inspect
import os
import tempfile
import textwrap
import types
from pathlib import Path

from minigan import validate
from minigan.lab.commands import STUBS, TIMEOUT_S, LabError, exercise_named, format_report, graded

CONSTANTS = (int, float, complex, bool, str, type(None))


class LabReport:
    """A graded exercise: prints as `lab check` does; .passed says whether it is right; .report is
    the grader's dict."""

    def __init__(self, report, text):
        self.report, self.text = report, text

    @property
    def passed(self):
        return bool(self.report["right"])

    def __str__(self):
        return self.text

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):  # IPython's display
        p.text(self.text)


def check(exercise, source, seed=None, timeout_s=TIMEOUT_S):
    """Grade ``source`` (a file's path, or one function or a list of them) as exercise
    ``exercise`` -> LabReport. seed None draws new cases (the report prints the seed)."""
    exercise_named(exercise)
    validate.number("timeout_s", timeout_s, 0.0, low_open=True)
    if seed is not None:
        validate.seed("seed", seed)
    if isinstance(source, (str, os.PathLike)):
        report = graded(exercise, source, seed, timeout_s)
        return LabReport(report, format_report(report))
    functions = [source] if callable(source) else list(source)
    with tempfile.TemporaryDirectory(prefix="minigan-lab-notebook-") as tmp:
        path = Path(tmp) / f"{exercise}.py"
        text, lines = file_of(exercise, functions)
        path.write_text(text)
        report = graded(exercise, path, seed, timeout_s)
    report["file"] = f"the notebook's {', '.join(f.__name__ for f in lines)}"
    error = report["error"]
    if error and error["line"]:  # a line of the temporary file -> the line in its notebook cell
        for fn, (first, last) in lines.items():
            if first <= error["line"] <= last:
                error["line"] = fn.__code__.co_firstlineno + error["line"] - first
    return LabReport(report, format_report(report))


def python_function(fn):
    fn = getattr(fn, "py_func", fn)  # a Numba dispatcher: the Python function it compiled
    if not isinstance(fn, types.FunctionType):
        raise LabError(f"check() takes a file's path or functions defined with def; got {fn!r}")
    return fn


def source_of(fn):
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError) as err:
        raise LabError(f"the source of {fn.__name__} cannot be read ({err}); define it with def in a notebook cell "
                       f"or a file, or pass the file's path") from None


def names_read(source):
    """Every bare name the source reads (decorators included)."""
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def import_line(name, value):
    """The line that binds ``name`` to ``value`` in a fresh file, or None when there is none."""
    if isinstance(value, types.ModuleType):
        module = value.__name__
        if name == module:
            return f"import {module}"
        if "." in module and name == module.rsplit(".", 1)[1]:
            return f"from {module.rsplit('.', 1)[0]} import {name}"
        return f"import {module} as {name}"
    module, own = getattr(value, "__module__", None), getattr(value, "__name__", None)
    if module and own and module != "__main__":
        try:
            if getattr(__import__(module, fromlist=[own]), own) is value:
                return f"from {module} import {own}" + ("" if own == name else f" as {name}")
        except (ImportError, AttributeError):
            pass
    if isinstance(value, CONSTANTS) or (isinstance(value, tuple) and all(isinstance(v, CONSTANTS) for v in value)):
        return f"{name} = {value!r}"
    return None


def file_of(exercise, functions):
    """-> (the text of an exercise file holding ``functions`` and what they need from their
    notebook, {function: (its first line, its last line) in that text})."""
    functions = [python_function(f) for f in functions]
    if not functions:
        raise LabError("check() was given no functions; pass the ones the exercise asks for")
    wanted, sources, i = list(functions), {}, 0
    while i < len(wanted):  # the notebook's functions that the given ones call, and theirs
        fn = wanted[i]
        sources[fn] = source_of(fn)
        for name in sorted(names_read(sources[fn])):
            value = fn.__globals__.get(name)
            value = getattr(value, "py_func", value)
            if (isinstance(value, types.FunctionType) and value.__module__ == fn.__module__
                    and value not in wanted and name not in {f.__name__ for f in wanted}):
                wanted.append(value)
        i += 1
    defined = {fn.__name__ for fn in wanted}
    header = ["import numpy as np"]
    for fn in wanted:
        for name in sorted(names_read(sources[fn]) - defined):
            if name in fn.__globals__:
                line = import_line(name, fn.__globals__[name])
                if line and line not in header:
                    header.append(line)
    text = "\n".join(header) + "\n"
    lines = {}
    for fn in wanted:
        first = text.count("\n") + 3
        text += "\n\n" + sources[fn]
        lines[fn] = (first, text.count("\n"))
    e = exercise_named(exercise)
    unnamed = [fn.__name__ for fn in functions if fn.__name__ not in (*e.writes, *e.given)]
    unwritten = [n for n in e.writes if n not in defined]
    if unnamed and len(unnamed) == len(unwritten):  # my_relu_backward passed for relu_backward
        text += "\n\n" + "".join(f"{n} = {f}\n" for n, f in zip(unwritten, unnamed))
    missing = [n for n in e.given if n not in defined]
    if missing:  # the exercise's given forward, from its stub
        stub = (STUBS / f"{exercise}.py").read_text()
        for node in ast.parse(stub).body:
            if isinstance(node, ast.FunctionDef) and node.name in missing:
                text += "\n\n" + ast.get_source_segment(stub, node) + "\n"
    return text, lines
