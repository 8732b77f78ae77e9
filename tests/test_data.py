"""The MNIST loader on the real files, on corrupt files, offline, and through a real download."""

import functools
import gzip
import http.server
import shutil
import threading

import numpy as np
import pytest

from conftest import find_mnist
from minigan import data
from minigan.data import DataError, load_mnist, parse_idx, to_gan_range
from minigan.validate import UsageError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_files(mnist_dir):
    images, labels = load_mnist("train", mnist_dir, allow_download=False)
    assert images.shape == (60000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == TRAIN_COUNTS
    images, labels = load_mnist("test", mnist_dir, allow_download=False)
    assert images.shape == (10000, 28, 28)
    assert np.bincount(labels).tolist() == TEST_COUNTS
    x = to_gan_range(images[:10])
    assert x.shape == (10, 28, 28, 1) and x.dtype == np.float32 and x.min() == -1 and x.max() == 1


def test_data_dir_order(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGAN_DATA", str(tmp_path / "env"))
    assert data.data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert data.data_dir() == tmp_path / "env"
    monkeypatch.delenv("MINIGAN_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MINIGAN_DATA", raising=False)
    assert data.data_dir() == tmp_path / "cache" / "minigan" / "mnist"


@pytest.mark.parametrize("xdg", [False, True], ids=["home-cache", "xdg-cache"])
def test_tests_read_mnist_where_train_downloads_it(mnist_dir, tmp_path, monkeypatch, xdg):
    """A user without MINIGAN_DATA who ran `python -m minigan train` (which downloads into the
    user cache) and then the tests: the tests look in the same folder, and --data goes first."""
    monkeypatch.delenv("MINIGAN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        cache = tmp_path / "xdg" / "minigan" / "mnist"
    else:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        cache = tmp_path / "home" / ".cache" / "minigan" / "mnist"
    names = [name for name, _ in data.FILES.values()]
    assert find_mnist() == (cache, names)
    cache.mkdir(parents=True)
    for name in names:
        (cache / name).symlink_to(mnist_dir / name)
    assert find_mnist() == (cache, [])
    assert find_mnist(tmp_path / "arg") == (tmp_path / "arg", names)


def copy_files(src, dst):
    dst.mkdir(exist_ok=True)
    for name, _ in data.FILES.values():
        shutil.copy(src / name, dst / name)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupt_file_is_named(mnist_dir, tmp_path, damage):
    copy_files(mnist_dir, tmp_path)
    target = tmp_path / "train-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    raw = raw[: len(raw) // 2] if damage == "truncate" else raw[:100] + bytes([raw[100] ^ 0xFF]) + raw[101:]
    target.write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz is corrupt or truncated: MD5"):
        load_mnist("train", tmp_path, allow_download=False)


def test_idx_parser_rejects_bad_content(tmp_path):
    with pytest.raises(DataError, match="not an IDX file"):
        parse_idx(b"\x01\x02\x08\x01", "f")
    header = b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    with pytest.raises(DataError, match=r"header says \(2, 28, 28\) = 1568 values, file holds 100"):
        parse_idx(header + bytes(100), "f")
    assert parse_idx(header + bytes(1568), "f").shape == (2, 28, 28)
    bad = tmp_path / "x.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot be decompressed"):
        data.read_idx_gz(bad)
    with gzip.open(tmp_path / "y.gz", "wb") as f:
        f.write(header + bytes(1568))
    assert data.read_idx_gz(tmp_path / "y.gz").shape == (2, 28, 28)


def test_offline_without_files_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MIRRORS", ("http://127.0.0.1:9/",))  # nothing listens on port 9
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MINIGAN_DATA", raising=False)
    with pytest.raises(DataError) as err:
        load_mnist("test")  # the user cache: the one folder minigan makes itself
    msg = str(err.value)
    assert "could not download t10k-images-idx3-ubyte.gz" in msg and "Offline?" in msg
    assert str(tmp_path / "cache" / "minigan" / "mnist") in msg and "MINIGAN_DATA" in msg
    assert not (tmp_path / "cache" / "minigan" / "mnist").exists()  # no partial file, and no empty folder, left behind


def test_a_data_folder_that_is_not_there_is_refused_not_made(tmp_path, monkeypatch):
    """A folder named by --data or MINIGAN_DATA is the user's: a typo must not become a new folder
    holding a fresh download."""
    monkeypatch.setattr(data, "MIRRORS", ("http://127.0.0.1:9/",))
    with pytest.raises(UsageError, match="--data .*mnsit: no such folder; .*create the folder first"):
        load_mnist("test", tmp_path / "mnsit")
    monkeypatch.setenv("MINIGAN_DATA", str(tmp_path / "mnsit"))
    with pytest.raises(UsageError, match="MINIGAN_DATA .*mnsit: no such folder"):
        load_mnist("test")
    assert not (tmp_path / "mnsit").exists()


def test_download_from_a_mirror_then_verify(mnist_dir, tmp_path, monkeypatch, capsys):
    """A real HTTP download (from a loopback server holding the original files)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mnist_dir))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        mirror = f"http://127.0.0.1:{server.server_address[1]}/"
        monkeypatch.setattr(data, "MIRRORS", ("http://127.0.0.1:9/", mirror))  # first one fails over
        (tmp_path / "dl").mkdir()
        images, labels = load_mnist("test", tmp_path / "dl")
    finally:
        server.shutdown()
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == TEST_COUNTS
    assert "downloading" in capsys.readouterr().err
    assert data.md5(tmp_path / "dl" / "t10k-images-idx3-ubyte.gz") == data.FILES["test_images"][1]
