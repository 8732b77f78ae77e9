"""python -m minigan lab [start EXERCISE DIR | check EXERCISE FILE]: the lab's commands.

`lab` lists the exercises; `lab start` writes an exercise's stub; `lab check` runs a file
in a child process with a time limit, grades here what it sends back (minigan/lab/grader.py),
prints what was checked and, for each wrong gradient, which one and why, and exits 0 when
everything is right.
"""

import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from minigan import validate
from minigan.lab.exercises import EXERCISES
from minigan.lab.grader import NO_RESULTS, RECORD_KEY, judge_file, new_report, well_formed

STUBS = Path(__file__).with_name("stubs")
TIMEOUT_S = 120


class LabError(ValueError):
    """Bad use of the lab commands (unknown exercise, missing file); the message says the fix."""


def exercise_named(name):
    if name not in EXERCISES:
        raise LabError(f"no exercise {name!r}; the exercises are {', '.join(EXERCISES)} (python -m minigan lab)")
    return EXERCISES[name]


def list_exercises():
    lines = ["minigan lab: write the backward passes yourself; minigan grades them.", ""]
    for e in EXERCISES.values():
        lines.append(f"  {e.name:<16} {e.title}  (you write: {', '.join(e.writes)})")
    lines += ["", "Start one:  python -m minigan lab start EXERCISE DIR",
              "Check it:   python -m minigan lab check EXERCISE DIR/EXERCISE.py",
              "Train with yours:  python -m minigan train --kernels DIR --limit 640 --epochs 1", "",
              "A walkthrough: docs/lab.md"]
    return "\n".join(lines)


def start(name, folder):
    """Write the stub for exercise `name` into `folder` -> its path; never overwrites a file."""
    exercise_named(name)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.py"
    if target.exists():
        raise LabError(f"{target} exists already; check it with: python -m minigan lab check {name} {target} "
                       f"(or move it away to start over)")
    shutil.copyfile(STUBS / f"{name}.py", target)
    return target


def run_grader(name, path, seed, timeout_s=TIMEOUT_S, jit=True):
    """Grade in a child process -> the report dict; a hang or crash there becomes the report's error."""
    return run_graders({name: path}, seed, timeout_s, jit)[name]


def run_graders(files, seed, timeout_s=TIMEOUT_S, jit=True):
    """{exercise: file} graded -> {exercise: report}. The cases are made here, the student's
    functions run on them in one child process, and the verdict is reached here from the
    arrays it sends back (minigan/lab/grader.py), so nothing the student's code does can
    write its own grade. A hang, a crash or an early exit there becomes every report's error:
    the student's code is the only code it runs."""
    cases, pairs = {}, []
    for name, path in files.items():
        exercise_named(name)
        if not Path(path).is_file():
            raise LabError(f"{path}: no such file; write one with: python -m minigan lab start {name} DIR")
        cases[name] = EXERCISES[name].cases(np.random.default_rng(seed))
        pairs += [name, str(Path(path).resolve())]
    with tempfile.TemporaryDirectory(prefix="minigan-lab-") as tmp:
        handed, results = Path(tmp) / "cases.pkl", Path(tmp) / "results.npz"
        handed.write_bytes(pickle.dumps(cases))
        cmd = [sys.executable, "-m", "minigan.lab.grader", str(handed), str(results), *([] if jit else ["--no-jit"]),
               *pairs]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
        except subprocess.TimeoutExpired:
            why = (f"your code ran for more than {timeout_s} s and was stopped (a loop that never ends? "
                   f"--timeout raises the limit)")
            return {name: new_report(name, path, seed, why) for name, path in files.items()}
        if proc.returncode != 0:
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit status {proc.returncode}"
            tail = proc.stderr.strip().splitlines()[-1:] or [""]
            why = f"your code stopped the Python process ({how}) {tail[0]}".strip()
            return {name: new_report(name, path, seed, why) for name, path in files.items()}
        return {name: verdict(name, path, seed, cases[name], results) for name, path in files.items()}


def verdict(name, path, seed, cases, results):
    """The report on one file from the child's results; none, or results that do not parse, are
    graded wrong (the student's code ended the child early, or wrote them itself)."""
    record, arrays = None, {}
    try:
        with np.load(results, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        record = json.loads(str(arrays.pop(RECORD_KEY)))[name]
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        pass  # no results, or not the child's: graded wrong below
    if not well_formed(record, EXERCISES[name], cases, arrays):
        return new_report(name, path, seed, NO_RESULTS)
    return judge_file(EXERCISES[name], path, seed, cases, record, arrays)


def fmt(v):
    return "–" if v is None else f"{v:.1e}"


def format_report(r):
    e = EXERCISES[r["exercise"]]
    out = [f"minigan lab check {r['exercise']}: {r['file']}",
           f"seed {r['seed']} (the same cases again: --seed {r['seed']})", ""]
    if r["not_written"]:
        return "\n".join(out + [f"NOT WRITTEN YET: {r['not_written']}",
                                f"Write {', '.join(e.writes)} in {r['file']}, then check again."])
    if r["error"]:
        err = r["error"]
        where = f" at line {err['line']}" + (f" (in {err['function']})" if err["function"] else "") if err["line"] else ""
        out.append(f"YOUR CODE RAISED{where}: {err['message']}")
        if err["text"]:
            out.append(f"    {err['text']}")
        if err.get("case"):
            out.append(f"on the case {err['case']}")
        return "\n".join(out)
    out.append("case / returned array      vs minigan's reference   vs finite differences")
    for row in r["cases"]:
        out.append(f"  {row['case']}")
        for grad, v in row["grads"].items():
            if "shape" in v:
                got, want = (tuple(s) for s in v["shape"])
                out.append(f"    {grad:<22} shape {got}, expected {want}")
            else:
                out.append(f"    {grad:<22} {fmt(v['reference']):>12}   {fmt(v['gradcheck']):>12}")
    out += ["", "(relative error: max |yours - theirs| / the larger array's largest entry; right is at most 1e-7"
            + ("; param's is that of the update, param - param before the step" if e.updates else "") + ")", ""]
    if r["right"]:
        out.append(f"RIGHT: every case matches. Numba: {r['numba']}.")
        return "\n".join(out)
    out.append("WRONG:")
    out += problem_lines(r["problems"], len(r["cases"]))
    return "\n".join(out)


def problem_lines(problems, n_cases):
    """Each fault once: a named mistake with the arrays it shows in, an unnamed one per array and
    pattern; the case it was first seen in and in how many cases."""
    groups = {}
    for p in problems:
        key = (p["mistake"],) if p["mistake"] else (p["grad"], p["kind"])
        groups.setdefault(key, []).append(p)
    out = []
    for found in groups.values():
        first = found[0]
        label = f" [{first['mistake']}]" if first["mistake"] else ""
        grads = list(dict.fromkeys(p["grad"] for p in found if p["grad"]))
        cases = list(dict.fromkeys(p["case"] for p in found))
        seen = f"{len(cases)} of {n_cases} cases" if len(cases) > 1 else "1 case"
        also = f"in {', '.join(grads)}; " if len(grads) > 1 else ""
        out += [f"  - {first['message']}{label}", f"      ({also}{seen}, first: {first['case']})"]
    return out


def graded(name, path, seed=None, timeout_s=TIMEOUT_S):
    """The report on ``path`` as exercise ``name``, graded in a child process; seed None draws one."""
    seed = random.SystemRandom().randrange(10**6) if seed is None else seed
    return run_grader(name, path, seed, timeout_s)


def check(name, path, seed=None, timeout_s=TIMEOUT_S):
    """-> (exit code, printed report)."""
    report = graded(name, path, seed, timeout_s)
    return (0 if report["right"] else 1), format_report(report)


def add_lab(sub):
    p = sub.add_parser("lab", help="write the backward passes yourself; minigan grades them (docs/lab.md)",
                       description="Exercises in writing gradient kernels. With no command: list them.")
    cmds = p.add_subparsers(dest="lab_command")
    s = cmds.add_parser("start", help="write an exercise's stub file into DIR")
    s.add_argument("exercise")
    s.add_argument("dir")
    c = cmds.add_parser("check", help="grade your file: gradient checks, the reference, named mistakes")
    c.add_argument("exercise")
    c.add_argument("file")
    c.add_argument("--seed", type=int, help="the cases' seed (default: a new one, printed)")
    c.add_argument("--timeout", type=float, default=TIMEOUT_S, help=f"seconds your code may run (default {TIMEOUT_S})")


def run_lab(args):
    """-> exit code."""
    try:
        if args.lab_command is None:
            print(list_exercises())
            return 0
        if args.lab_command == "start":
            path = start(args.exercise, args.dir)
            print(f"wrote {path}\nfill in {', '.join(EXERCISES[args.exercise].writes)}, then: "
                  f"python -m minigan lab check {args.exercise} {path}")
            return 0
        validate.number("--timeout", args.timeout, 0.0, low_open=True)
        if args.seed is not None:
            validate.seed("--seed", args.seed)
        code, text = check(args.exercise, args.file, args.seed, args.timeout)
        print(text)
        return code
    except (LabError, validate.UsageError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
