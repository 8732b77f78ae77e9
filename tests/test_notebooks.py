"""The study path's notebooks (examples/notebooks/) run top to bottom, are committed without
outputs, and end in a lab call that grades through the lab's own child process.

Each notebook runs once, in a kernel of this Python, in a fresh folder (where notebooks 06 and 07
write mylab/ and runs/), with this checkout first on the path. The lab exercises run as
committed, unwritten, and must report NOT WRITTEN YET; then the right solution (tests/lab/) of
the last exercise a notebook grades is defined in the same kernel and the notebook's last check
cell runs again: that exercise must be graded RIGHT, any other it grades still NOT WRITTEN YET.
(One a notebook: grading a right solution compiles it in the child, seconds each;
tests/test_lab.py grades every solution.) Notebook 07 trains with its parameters cell made tiny."""

import re

import pytest
from conftest import REPO

from minigan.lab.exercises import EXERCISES

FOLDER = REPO / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
SOLUTIONS = REPO / "tests" / "lab"
INSTALL = 'pip install -e ".[notebooks]"'
TINY_TRAINING = "LIMIT = 320\nEPOCHS = 2\nRECORD_EVERY = 2\n"  # 10 steps an epoch, 10 recorded rows a run


def notebook_tools():
    """nbformat and nbclient's NotebookClient, with ipykernel to run them; a clear failure without."""
    try:
        import ipykernel  # noqa: F401  (the kernel the notebooks run in)
        import nbformat
        from nbclient import NotebookClient
    except ImportError as err:
        pytest.fail(f"the notebook tests need nbclient, nbformat and ipykernel ({err}): {INSTALL}")
    return nbformat, NotebookClient


def tagged(nb, tag):
    """The code cells carrying ``tag``."""
    return [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]


def text_of(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def graded_exercises(check_cell):
    """The exercises a check cell grades, by the names it quotes."""
    return [name for name in re.findall(r'"(\w+)"', check_cell.source) if name in EXERCISES]


def execute(nb, folder, NotebookClient):
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()


def test_the_study_path_has_seven_notebooks_committed_without_outputs():
    nbformat, _ = notebook_tools()
    assert [p.name[:3] for p in NOTEBOOKS] == [f"{k:02d}_" for k in range(1, 8)], [p.name for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: a cell has outputs; " \
                    f"clear them before committing (jupyter nbconvert --clear-output --inplace {path.name})"
        assert tagged(nb, "lab-check") or tagged(nb, "lab-train") or tagged(nb, "parameters"), path.name


def test_the_notebooks_links_resolve():
    """Every relative link in the notebooks' text and in their README names a file that exists."""
    nbformat, _ = notebook_tools()
    texts = {FOLDER / "README.md": (FOLDER / "README.md").read_text()}
    for path in NOTEBOOKS:
        texts[path] = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    broken = [(page.name, target) for page, text in texts.items()
              for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
              if not target.startswith("http") and not (FOLDER / target).exists()]
    assert not broken, broken


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch, mnist_dir):
    nbformat, NotebookClient = notebook_tools()
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # this checkout, in the kernel and in what it starts
    monkeypatch.setenv("MINIGAN_DATA", str(mnist_dir))
    nb = nbformat.read(path, as_version=4)
    for cell in tagged(nb, "parameters"):
        cell.source = TINY_TRAINING
    checks = tagged(nb, "lab-check")
    exercises = [name for cell in checks for name in graded_exercises(cell)]
    if checks:  # one right solution, then the notebook's last check cell again
        solution = (SOLUTIONS / f"{exercises[-1]}.py").read_text()
        nb.cells += [nbformat.v4.new_code_cell(solution), nbformat.v4.new_code_cell(checks[-1].source)]

    execute(nb, tmp_path, NotebookClient)

    if checks:
        assert exercises, f"{path.name}: its check cell names no exercise"
        unwritten = "".join(text_of(c) for c in checks)
        solved, graded_again = text_of(nb.cells[-1]), graded_exercises(checks[-1])
        for name in exercises:
            assert f"minigan lab check {name}: the notebook's" in unwritten
        assert unwritten.count("NOT WRITTEN YET") == len(exercises), unwritten
        assert f"minigan lab check {exercises[-1]}: the notebook's" in solved
        assert solved.count("RIGHT: every case matches") == 1, solved
        assert solved.count("NOT WRITTEN YET") == len(graded_again) - 1, solved
    for cell in tagged(nb, "lab-train"):  # train --kernels with the unwritten stub: refused, by the grader
        assert "mylab/dense.py is not right yet (write dense_backward" in text_of(cell), text_of(cell)
    if tagged(nb, "parameters"):
        assert re.search(r"'documented': '10 recorded steps, \d+ columns', 'default': '10 recorded steps",
                         "".join(text_of(c) for c in nb.cells)), "the record of a tiny run did not load"
