"""Checkpoints: one .npz of named arrays plus a JSON metadata record, written atomically.

Atomic: the file is written beside its destination under a temporary name, flushed to
disk, then renamed over the destination (os.replace is atomic on POSIX and Windows). A
crash mid-write leaves the previous checkpoint intact, never a half-written one.
"""

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

META_KEY = "__meta__"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path, write):
    """Call write(file_object) on a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; give it the usual mode
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_checkpoint(path, arrays, meta):
    """arrays: {name: ndarray}; meta: a JSON-serialisable dict."""
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload[META_KEY] = np.array(json.dumps(meta))
    atomic_write(path, lambda f: np.savez(f, **payload))


def load_checkpoint(path):
    """-> (arrays, meta). Clear errors for a missing or unreadable file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train one first (python -m minigan train --out DIR writes DIR/checkpoint.npz)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise ValueError(f"checkpoint {path} is corrupt or not a minigan checkpoint ({err})") from err
    if META_KEY not in arrays:
        raise ValueError(f"checkpoint {path} has no {META_KEY} record; it was not written by minigan")
    meta = json.loads(str(arrays.pop(META_KEY)))
    return arrays, meta
