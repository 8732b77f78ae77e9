"""MNIST: find the original IDX files, download and verify them if absent, parse them.

Where the files are looked for, in order:
  1. the ``data_dir`` argument (``--data DIR`` on the command line),
  2. the environment variable ``MINIGAN_DATA``,
  3. a user cache folder: ``$XDG_CACHE_HOME/minigan/mnist`` (``~/.cache/minigan/mnist``).
The first of these that is set is the folder used (1 and 2 must name a folder that exists:
a typo is refused, not made into a new folder); missing files are downloaded into it
(from the public mirrors below, with a progress bar) and every file's MD5 is checked
before it is parsed, so a corrupt or truncated file is named, never silently loaded.
"""

import gzip
import hashlib
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from minigan import validate
from minigan.files import atomic_write
from minigan.progress import Progress

FILES = {
    "train_images": ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train_labels": ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    "test_images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "test_labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
IDX_DTYPES = {0x08: np.uint8}


class DataError(RuntimeError):
    """MNIST could not be found, fetched or parsed; the message says which file and what to do."""


def data_dir(explicit=None):
    """The folder to read MNIST from: explicit, else $MINIGAN_DATA, else the user cache."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("MINIGAN_DATA"):
        return Path(os.environ["MINIGAN_DATA"]).expanduser()
    return user_cache() / "mnist"


def user_cache():
    """minigan's per-user cache folder: $XDG_CACHE_HOME/minigan (~/.cache/minigan)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "minigan"


def md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(filename, folder):
    """Fetch one file into folder (atomically) from the first of MIRRORS that answers."""
    errors = []
    for base in MIRRORS:
        url = base + filename
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                total = int(response.headers.get("Content-Length") or 0)
                progress = Progress(total, f"downloading {filename}", unit="B")

                def write(f):
                    for block in iter(lambda: response.read(1 << 16), b""):
                        f.write(block)
                        progress.update(len(block))

                atomic_write(folder / filename, write)
                progress.close()
                return
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            errors.append(f"{url}: {err}")
    raise DataError(
        f"could not download {filename} (" + "; ".join(errors) + f"). Offline? Put the four MNIST "
        f".gz files ({', '.join(name for name, _ in FILES.values())}) in {folder}, or point "
        f"--data DIR / MINIGAN_DATA at a folder that holds them."
    )


def ensure_file(key, folder, allow_download=True):
    """Path of one verified MNIST file, downloading it if absent."""
    filename, expected = FILES[key]
    path = folder / filename
    if not path.is_file():
        if not allow_download:
            raise DataError(f"{path} is missing; put the MNIST files in {folder} or pass --data DIR")
        created = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        print(f"MNIST {filename} not in {folder}; downloading", file=sys.stderr)
        try:
            download(filename, folder)
        except DataError:
            if created and not any(folder.iterdir()):
                folder.rmdir()  # a failed first download leaves no empty folder behind
            raise
    actual = md5(path)
    if actual != expected:
        raise DataError(
            f"{path} is corrupt or truncated: MD5 {actual}, expected {expected}. "
            f"Delete it and run again to download a fresh copy."
        )
    return path


def parse_idx(raw, name):
    """Decode an IDX buffer: magic (0, 0, dtype, ndim), ndim big-endian uint32 sizes, data."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{name}: not an IDX file (bad magic {raw[:4]!r})")
    dtype, ndim = raw[2], raw[3]
    if dtype not in IDX_DTYPES:
        raise DataError(f"{name}: IDX element type 0x{dtype:02x} is not supported (MNIST is 0x08, uint8)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{name}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(shape))
    if len(raw) - header != count:
        raise DataError(f"{name}: header says {shape} = {count} values, file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=IDX_DTYPES[dtype], offset=header).reshape(shape)


def read_idx_gz(path):
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot be decompressed ({err}); delete it and run again to re-download") from err
    return parse_idx(raw, str(path))


def load_mnist(split="train", folder=None, allow_download=True):
    """-> images (N, 28, 28) uint8, labels (N,) uint8 for split 'train' (60k) or 'test' (10k)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    named = "--data" if folder else "MINIGAN_DATA" if os.environ.get("MINIGAN_DATA") else None
    folder = data_dir(folder)
    if named:  # a path the user typed: a typo must not leave folders behind; only the user cache is made
        validate.in_folder(named, folder, "point it at the folder that holds the four MNIST .gz files (create the "
                                          "folder first to download them into it)")
    images = read_idx_gz(ensure_file(f"{split}_images", folder, allow_download))
    labels = read_idx_gz(ensure_file(f"{split}_labels", folder, allow_download))
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{folder}: {images.shape[0]} {split} images but {labels.shape[0]} labels")
    return images, labels


def to_gan_range(images, dtype=np.float32):
    """uint8 (N, 28, 28) in [0, 255] -> (N, 28, 28, 1) in [-1, 1], the tanh's range."""
    t = np.dtype(dtype).type
    x = images.astype(dtype) / t(127.5) - t(1.0)
    return x[..., None]
