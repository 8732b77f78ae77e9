"""The recorder's rows as TensorBoard event files, so that `tensorboard --logdir RUN` plots them.

Written through tensorboardX's SummaryWriter (the `record` extra), into the run folder itself:
RUN/events.out.tfevents.<time>.<host>.step<the first step it holds>. A column
"G/dense1/grad_norm" becomes the tag "grad_norm/G/dense1", so that TensorBoard puts one
statistic of every layer side by side; a column of the whole step ("d_real") becomes
"step/d_real".

Every run, new or resumed, starts a new event file whose first event purges, in TensorBoard's
reading, every step from its first one on that an earlier file holds (SummaryWriter's
purge_step): the steps a killed run recorded after its last checkpoint. The writer is flushed
before every checkpoint, so the steps up to it are on disk, and TensorBoard shows every
recorded step once.
"""

import importlib.util
import sys

from minigan.validate import UsageError

INSTALL = "pip install 'minigan[record]'"


def tag(column):
    """A record column -> its TensorBoard tag: statistic first, then net and layer."""
    net, _, rest = column.partition("/")
    if not rest:
        return f"step/{column}"
    layer, _, statistic = rest.rpartition("/")
    return f"{statistic}/{net}/{layer}"


def check_installed():
    """Refuse --record, naming the extra, where tensorboardX is not installed (without importing
    it: every rank checks, only rank 0 writes)."""
    if importlib.util.find_spec("tensorboardX") is None:
        raise UsageError(f"--record writes TensorBoard's event files through tensorboardX, which is not installed: "
                         f"{INSTALL} (or drop --record)")


def summary_writer():
    """tensorboardX's SummaryWriter, imported without PyTorch. Its writer module imports torch
    where it is installed, only to accept torch tensors; the recorder hands it floats. Importing
    PyTorch would take seconds and hundreds of MB in every recorded run (and, imported before
    minigan's kernels, slow the step: docs/troubleshooting.md). For the import, `import torch`
    fails as it does where PyTorch is absent, which tensorboardX expects; then it works again."""
    if "torch" in sys.modules:
        from tensorboardX import SummaryWriter
    else:
        sys.modules["torch"] = None  # an import of it raises ImportError
        try:
            from tensorboardX import SummaryWriter
        finally:
            del sys.modules["torch"]
    return SummaryWriter


class EventWriter:
    """Appends the recorder's rows to a new event file in run_dir."""

    def __init__(self, run_dir, first_step=1):
        """first_step: the first step this run trains, after a resumed checkpoint's last. The
        file's name ends in it: two files with one name (two tries resumed from one checkpoint
        within a second) hold the same steps, the later of which are the ones to keep."""
        self.writer = summary_writer()(logdir=str(run_dir), purge_step=first_step, flush_secs=60,
                                    filename_suffix=f".step{first_step}")

    def add(self, row):
        step = int(row["step"])
        for column, value in row.items():
            if column not in ("step", "epoch"):
                self.writer.add_scalar(tag(column), value, step)

    def flush(self):
        self.writer.flush()

    def close(self):
        self.writer.close()
