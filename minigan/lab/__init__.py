"""The lab: exercises in writing backward passes, graded by minigan (docs/lab.md).

exercises.py   what each exercise checks, on which cases, against which answer
mistakes.py    the common mistakes, recognised by name
grader.py      runs the student's file (in a child process) and judges it
commands.py    python -m minigan lab [start | check]
notebook.py    check(exercise, source): the same grade from a notebook, for a file or functions
kernels.py     train --kernels DIR: the GAN trained with the student's functions
stubs/         the files `lab start` writes
"""

from minigan.lab.notebook import LabReport, check

__all__ = ["LabReport", "check"]
