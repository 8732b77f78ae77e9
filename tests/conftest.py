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


@pytest.fixture(scope="session")
def mnist_dir():
    """The MNIST folder tests read: $MINIGAN_DATA if set, else ../shared/data/mnist."""
    path = Path(os.environ.get("MINIGAN_DATA", SHARED_MNIST))
    if not path.is_dir():
        pytest.fail(f"MNIST files not found at {path}; set MINIGAN_DATA to the folder holding the four .gz files")
    return path
