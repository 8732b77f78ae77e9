"""benchmarks/train_twin.py: the PyTorch twin trained like minigan, scored by minigan's evaluate.

torch is a test dependency: without it this module fails to import, and so fails."""

import csv

import numpy as np

from benchmarks.train_twin import train_twin
from minigan.checkpoint import load_checkpoint
from minigan.config import TrainConfig
from minigan.evaluate import evaluate, train_classifier
from minigan.train import train


def first_rows(path, n):
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in r.items()} for r in list(csv.DictReader(f))[:n]]


def test_twin_run_starts_where_minigan_does_and_is_scored_by_evaluate(mnist_dir, tmp_path):
    config = TrainConfig(epochs=1, limit=128, sample_interval=1, n_samples=16, seed=3)
    train(config, tmp_path / "minigan", data=mnist_dir, log=lambda *_: None)
    train_twin(config, tmp_path / "twin", data=mnist_dir, log=lambda *_: None)
    names = sorted(p.name for p in (tmp_path / "twin").iterdir())
    assert names == ["losses.csv", "samples_epoch_000.png", "samples_epoch_001.png", "twin_checkpoint.pt",
                     "weights_epoch_001.npz"]
    # the same seed: the same initial weights, batches and noise, so the first steps agree to
    # float32 round-off (later ones drift apart, as any two float32 engines would)
    for mine, twin in zip(first_rows(tmp_path / "minigan" / "losses.csv", 2), first_rows(tmp_path / "twin" / "losses.csv", 2)):
        assert mine["step"] == twin["step"]
        for k in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert abs(mine[k] - twin[k]) <= 1e-4 * abs(mine[k]), (k, mine, twin)
    _, meta = load_checkpoint(tmp_path / "twin" / "weights_epoch_001.npz")
    assert meta["engine"] == "pytorch" and meta["config"]["seed"] == 3
    clf = tmp_path / "clf.npz"
    train_classifier(clf, epochs=1, limit=512, data=mnist_dir, log=lambda *_: None)
    twin, mine = evaluate([tmp_path / "twin" / "weights_epoch_001.npz", tmp_path / "minigan" / "weights_epoch_001.npz"],
                          n=40, classifier_path=clf, data=mnist_dir)
    assert (twin["engine"], mine["engine"]) == ("pytorch", "minigan") and twin["epoch"] == mine["epoch"] == 1
    assert np.isfinite(twin["fid"]) and twin["fid_train_vs_test"] == mine["fid_train_vs_test"]


def test_twin_run_resumes_bit_for_bit(mnist_dir, tmp_path):
    """Two epochs in one go equal one epoch, then --resume for the second (spectral norm's
    vectors, Adam's state and the shared RNG all carried by twin_checkpoint.pt)."""
    def config(epochs):
        return TrainConfig(epochs=epochs, limit=96, sample_interval=1, n_samples=16, seed=4)

    train_twin(config(2), tmp_path / "full", data=mnist_dir, log=lambda *_: None)
    train_twin(config(1), tmp_path / "split", data=mnist_dir, log=lambda *_: None)
    train_twin(config(2), tmp_path / "split", data=mnist_dir, log=lambda *_: None, resume=True)
    assert (tmp_path / "full" / "losses.csv").read_text() == (tmp_path / "split" / "losses.csv").read_text()
    a, _ = load_checkpoint(tmp_path / "full" / "weights_epoch_002.npz")
    b, _ = load_checkpoint(tmp_path / "split" / "weights_epoch_002.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
