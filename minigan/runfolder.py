"""A run folder's protection: never overwritten by mistake, one run in it at a time, and no
temporary file of a killed run left over.

`train --out D` into a folder that holds a previous run is refused unless `--resume` continues
it or `--overwrite` discards it. A run holds D/.minigan.lock, which names its process, for as
long as it runs; a second run into D is refused while that process lives. A lock whose process
is gone (kill -9, a crash, a power cut) is stale and taken over, so it never blocks `--resume`.
"""

import os
import socket
from pathlib import Path

from minigan import validate

LOCK_NAME = ".minigan.lock"
# what a run writes (minigan/train.py); --overwrite deletes these and nothing else in the folder
ARTIFACTS = ("checkpoint.npz", "losses.csv", "losses.png", "samples_epoch_*.png", "weights_epoch_*.npz",
             "record.csv", "events.out.tfevents.*", "scores.jsonl", "training_report.html")


def process_alive(pid):
    """Whether process ``pid`` exists on this machine (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class RunFolder:
    """The folder a run writes to, locked by this process while claimed."""

    def __init__(self, path):
        self.dir = Path(path)
        self.lock = self.dir / LOCK_NAME

    @classmethod
    def claim(cls, out_dir, resume=False, overwrite=False):
        """Check the folder, refuse it if another run is in it or it holds a previous run that
        neither resume nor overwrite asks for, then lock it and remove a killed run's
        temporary files -> the RunFolder (release() it when the run ends)."""
        folder = cls(validate.out_folder("--out", out_dir))
        if resume and overwrite:
            raise validate.UsageError("--resume continues the run in --out and --overwrite discards it; pass one of them")
        folder.refuse_if_in_use()
        if resume and not (folder.dir / "checkpoint.npz").is_file():
            raise validate.UsageError(f"--resume: no checkpoint at {folder.dir / 'checkpoint.npz'}; train one first "
                                      f"(python -m minigan train --out {folder.dir} writes it), or check --out")
        previous = folder.previous_run()
        if previous and not (resume or overwrite):
            raise validate.UsageError(
                f"--out {folder.dir} holds a previous run ({', '.join(previous[:3])}{', ...' * (len(previous) > 3)}); "
                f"continue it with --resume, start afresh with --overwrite (which deletes its files), "
                f"or pick a new --out folder")
        folder.take_lock()
        for pattern in ARTIFACTS:  # a killed run's half-written files: the lock says no run writes them now
            for tmp in folder.dir.glob(f".{pattern}.*.tmp"):  # named so by minigan/files.py's atomic_write
                tmp.unlink(missing_ok=True)
        return folder

    def holder(self):
        """-> (pid, host) of the lock's holder, or None when the folder is unlocked or its lock is stale."""
        try:
            pid_text, _, host = self.lock.read_text().partition(" ")
            pid = int(pid_text)
        except FileNotFoundError:
            return None
        except (ValueError, OSError):
            return None  # unreadable: a lock cut short by a crash while it was written
        host = host.strip()
        if host == socket.gethostname() and (pid == os.getpid() or not process_alive(pid)):
            return None
        return pid, host

    def refuse_if_in_use(self):
        held = self.holder()
        if held:
            pid, host = held
            raise validate.UsageError(
                f"--out {self.dir} is in use by another run (process {pid} on {host}); wait for it to end, or pick "
                f"another --out folder. If no run is using it, delete {self.lock}")

    def take_lock(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        record = f"{os.getpid()} {socket.gethostname()}\n".encode()
        for _ in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self.refuse_if_in_use()  # taken since we looked: refused; else stale, replaced below
                self.lock.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "wb") as f:
                f.write(record)
            return
        raise validate.UsageError(f"--out {self.dir}: another run keeps taking {self.lock}; pick another --out folder")

    def previous_run(self):
        """The names of a previous run's files in the folder, sorted; empty when there is none."""
        return sorted(p.name for pattern in ARTIFACTS for p in self.dir.glob(pattern))

    def discard_previous(self):
        """Delete a previous run's files (--overwrite), nothing else in the folder."""
        for name in self.previous_run():
            (self.dir / name).unlink(missing_ok=True)

    def release(self):
        if self.holder() is None and self.lock.exists():
            self.lock.unlink(missing_ok=True)
