"""Checkpoints: one .npz of named arrays plus a JSON metadata record, written atomically
(minigan/files.py): a crash mid-write leaves the previous checkpoint intact."""

import json
import zipfile
from pathlib import Path

import numpy as np

from minigan.files import atomic_write
from minigan.validate import CheckpointError

META_KEY = "__meta__"


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
    if not zipfile.is_zipfile(path):  # np.load would try it as a pickle and blame that
        with open(path, "rb") as f:
            head = f.read(8)
        raise CheckpointError(f"{path} is not a .npz file (it begins {head!r}); pass a run's checkpoint.npz or "
                              f"weights_epoch_NNN.npz")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise CheckpointError(f"checkpoint {path} is corrupt or not a minigan checkpoint ({err})") from err
    if META_KEY not in arrays:
        raise CheckpointError(f"checkpoint {path} has no {META_KEY} record; it was not written by minigan")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint {path}: its {META_KEY} record is not minigan's; the file is damaged")
    return arrays, meta
