import os
from pathlib import Path

# CUDA kernels run under Numba's simulator unless a caller chose otherwise (the GPU script
# sets NUMBA_ENABLE_CUDASIM=0). Must be set before numba is first imported.
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

import numpy as np
import pytest

from minigan import data

REPO = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--data", metavar="DIR",
                     help="folder with the four MNIST .gz files (default: $MINIGAN_DATA, else the user cache, "
                          "where `python -m minigan train` downloads them)")


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


def find_mnist(explicit=None):
    """-> (folder, names of the MNIST files it lacks), the folder found as the loader finds it
    (minigan.data.data_dir), so that the tests read the files `python -m minigan train` downloaded."""
    folder = data.data_dir(explicit)
    return folder, [name for name, _ in data.FILES.values() if not (folder / name).is_file()]


@pytest.fixture(scope="session")
def mnist_dir(pytestconfig):
    """The MNIST folder tests read: --data DIR, else $MINIGAN_DATA, else the user cache."""
    folder, missing = find_mnist(pytestconfig.getoption("data"))
    if missing:
        pytest.fail(f"MNIST files missing in {folder}: {', '.join(missing)}. Run `python -m minigan train` once "
                    f"(it downloads them there), or point --data DIR or MINIGAN_DATA at a folder that holds them")
    return folder
