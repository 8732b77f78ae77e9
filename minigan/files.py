"""Atomic file writes, for every file minigan writes (checkpoints, weights, logs, plots, data).

The file is written beside its destination under a temporary name, flushed to disk, then
renamed over the destination (os.replace is atomic on POSIX and Windows). A crash mid-write
leaves the previous file intact, never a half-written one; so does a failed write (a full
disk, a read-only folder), which raises WriteError naming the file.
"""

import errno
import os
import tempfile
from pathlib import Path


STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


class WriteError(RuntimeError):
    """A file could not be written (full disk, no permission); the message names it and says what was kept."""


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write):
    """Call write(file_object) on a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise WriteError(f"cannot write {path}: {err.strerror or err}; write somewhere you may (another --out)") from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual mode
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno in STORAGE_ERRORS:  # not a download's network error, say
            kept = f"the previous {path.name} is kept" if path.exists() else f"no {path.name} was written"
            raise WriteError(f"cannot write {path}: {err.strerror or err}; {kept}. Free some space on that disk, or "
                             f"write somewhere else") from None
        raise
