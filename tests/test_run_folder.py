"""A run folder is never overwritten by mistake, never shared by two live runs, and keeps no
temporary files of a killed run; Ctrl-C and SIGTERM name the checkpoint they keep."""

import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO

from minigan import gan as gan_module
from minigan import train as train_module
from minigan.checkpoint import load_checkpoint
from minigan.cli import main
from minigan.runfolder import LOCK_NAME


def train_argv(mnist_dir, out, *more):
    return ["train", "--data", str(mnist_dir), "--out", str(out), "--limit", "64", "--threads", "1", "--epochs", "1",
            *more]


def test_a_folder_holding_a_run_is_refused_unless_resumed_or_overwritten(mnist_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(train_argv(mnist_dir, run, "--epochs", "2")) == 0
    before = (run / "checkpoint.npz").read_bytes()
    assert main(train_argv(mnist_dir, run)) == 2  # forgot --resume
    err = capsys.readouterr().err
    assert "holds a previous run" in err and "--resume" in err and "--overwrite" in err and "new --out" in err
    assert (run / "checkpoint.npz").read_bytes() == before and len((run / "losses.csv").read_text().splitlines()) == 5
    assert main(train_argv(mnist_dir, run, "--resume", "--overwrite")) == 2
    assert "pass one of them" in capsys.readouterr().err
    (run / "notes.txt").write_text("mine")
    assert main(train_argv(mnist_dir, run, "--overwrite")) == 0  # afresh: one epoch, the old files gone
    assert load_checkpoint(run / "checkpoint.npz")[1]["epoch"] == 1
    assert not (run / "samples_epoch_002.png").exists() and (run / "notes.txt").read_text() == "mine"
    assert not (run / LOCK_NAME).exists()  # released at the end


def test_a_live_runs_lock_refuses_a_second_run_and_a_killed_ones_does_not(mnist_dir, tmp_path, capsys):
    """A run in another process holds the folder; once it is killed with SIGKILL (its lock left
    behind, naming a process that is gone) --resume continues, and the next start removes the
    temporary files a killed run leaves."""
    run = tmp_path / "run"
    other = subprocess.Popen([sys.executable, "-m", "minigan", *train_argv(mnist_dir, run, "--epochs", "100000")],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (run / "checkpoint.npz").exists():
            assert other.poll() is None and time.monotonic() < deadline, "the first run did not get going"
            time.sleep(0.1)
        assert main(train_argv(mnist_dir, run, "--resume", "--epochs", "100001")) == 2
        assert f"in use by another run (process {other.pid}" in capsys.readouterr().err
        assert main(train_argv(mnist_dir, tmp_path / "fresh")) == 0  # another folder is free
    finally:
        other.kill()
        other.wait()
    assert (run / LOCK_NAME).read_text().split()[0] == str(other.pid)  # left behind by kill -9
    stale = run / ".checkpoint.npz.abc123.tmp"  # as a write cut short by kill -9 leaves it
    stale.write_bytes(b"\0" * 100)
    (run / ".mine.tmp").write_text("not minigan's")
    epoch = load_checkpoint(run / "checkpoint.npz")[1]["epoch"]
    assert main(train_argv(mnist_dir, run, "--resume", "--epochs", str(epoch + 1))) == 0
    assert load_checkpoint(run / "checkpoint.npz")[1]["epoch"] == epoch + 1
    assert not stale.exists() and not (run / LOCK_NAME).exists() and (run / ".mine.tmp").exists()


@pytest.mark.parametrize("when, says", [(1, "before the first checkpoint was written, so there is nothing to resume"),
                                        (5, "the last good checkpoint (epoch 1) is kept at")])
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_an_interruption_names_the_checkpoint_it_keeps(mnist_dir, tmp_path, capsys, monkeypatch, how, when, says):
    """Ctrl-C (SIGINT) and SIGTERM alike; at the first save (call 1: before any checkpoint) or at
    epoch 2's first step (call 5: after save 0, two steps, save 1)."""
    calls = []
    real_save = train_module.Run.save
    real_step = gan_module.GAN.train_step

    def interrupt():
        calls.append(1)
        if len(calls) == when:
            if how == "SIGTERM":  # the handler main() installed, called as the signal would call it
                signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
            raise KeyboardInterrupt  # what SIGINT's default handler raises

    def save(self, *args):
        interrupt()
        return real_save(self, *args)

    def step(self, real, z, watch=None):
        interrupt()
        return real_step(self, real, z, watch)

    monkeypatch.setattr(train_module.Run, "save", save)
    monkeypatch.setattr(gan_module.GAN, "train_step", step)
    previous = signal.getsignal(signal.SIGTERM)
    assert main(train_argv(mnist_dir, tmp_path / "run", "--epochs", "2")) == 130
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert (tmp_path / "run" / "checkpoint.npz").exists() == (when > 1)
    assert signal.getsignal(signal.SIGTERM) is previous  # main() leaves the process's handler as it was
