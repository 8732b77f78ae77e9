import os
from pathlib import Path

# CUDA kernels run under Numba's simulator unless a caller chose otherwise (the GPU script
# sets NUMBA_ENABLE_CUDASIM=0). Must be set before numba is first imported.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


def rel_err(a, b):
    """max |a - b| normalised by the larger array's largest magnitude."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0), 1e-30)
    return float(np.max(np.abs(a - b), initial=0.0) / scale)


def norm_rel(a, b):
    """||a - b|| / ||b||; a tensor that is zero in both engines (a bias before its first step) agrees."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff, ref = np.linalg.norm(a - b), np.linalg.norm(b)
    return 0.0 if diff == 0 else float(diff / ref) if ref else float("inf")


@pytest.fixture(scope="session")
def mnist_dir():
    """The MNIST folder tests read: $MINIGAN_DATA if set, else ../shared/data/mnist."""
    path = Path(os.environ.get("MINIGAN_DATA", SHARED_MNIST))
    if not path.is_dir():
        pytest.fail(f"MNIST files not found at {path}; set MINIGAN_DATA to the folder holding the four .gz files")
    return path
