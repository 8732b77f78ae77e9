"""The trainer end to end on a few hundred real images: artifacts, resume, divergence, errors."""

import csv

import numpy as np
import pytest

from minigan import gan as gan_module
from minigan.checkpoint import load_checkpoint
from minigan.cli import main
from minigan.config import TrainConfig
from minigan.train import TrainingDiverged, train


def small(**kw):
    return TrainConfig(**{"epochs": 2, "batch_size": 32, "limit": 256, "sample_interval": 1, "n_samples": 16, **kw})


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_short_run_writes_every_artifact(mnist_dir, tmp_path):
    rows = train(small(), tmp_path, data=mnist_dir, log=lambda *_: None)
    assert len(rows) == 2 * 8
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["checkpoint.npz", "losses.csv", "losses.png",
                     "samples_epoch_000.png", "samples_epoch_001.png", "samples_epoch_002.png",
                     "weights_epoch_001.npz", "weights_epoch_002.npz"]
    log = read_csv(tmp_path / "losses.csv")
    assert [int(r["step"]) for r in log] == list(range(1, 17))
    assert all(np.isfinite(float(r[k])) for r in log for k in ("d_loss", "g_loss", "d_real", "d_fake"))
    arrays, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    assert meta["epoch"] == 2 and meta["config"]["limit"] == 256
    assert int(arrays["opt_D/t"]) == 16 and arrays["G/dense4/w"].shape == (512, 784)
    weights, wmeta = load_checkpoint(tmp_path / "weights_epoch_002.npz")
    assert wmeta["epoch"] == 2 and wmeta["engine"] == "minigan" and wmeta["config"] == meta["config"]
    assert sorted(weights) == sorted(k for k in arrays if not k.startswith("opt_"))
    assert all(np.array_equal(weights[k], arrays[k]) for k in weights)
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


# sharp's averaged G and BatchNorm statistics and spectral norm's singular vectors are state a
# checkpoint must carry; the other case keys dropout's masks by counts of calls it must carry too
@pytest.mark.parametrize("recipe, changes", [("sharp", {}), ("sharp", {"g_ema_decay": 0.0, "d_spectral_norm": False,
                                                                     "d_dropout": 0.3})], ids=["sharp", "dropout"])
def test_resume_matches_an_uninterrupted_run_bitwise(mnist_dir, tmp_path, recipe, changes):
    def config(epochs):
        return small(epochs=epochs, recipe=recipe, recipe_changes=changes)

    full = train(config(3), tmp_path / "full", data=mnist_dir, log=lambda *_: None)
    train(config(1), tmp_path / "split", data=mnist_dir, log=lambda *_: None)
    train(config(3), tmp_path / "split", data=mnist_dir, resume=True, log=lambda *_: None)
    assert read_csv(tmp_path / "full" / "losses.csv") == read_csv(tmp_path / "split" / "losses.csv")
    a, _ = load_checkpoint(tmp_path / "full" / "checkpoint.npz")
    b, _ = load_checkpoint(tmp_path / "split" / "checkpoint.npz")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert len(full) == 24
    assert any(k.startswith("G_ema/") for k in a) == (not changes)
    assert any(k.endswith("/sn_u") for k in a) == (not changes)
    assert sorted(k for k in a if k.startswith("dropout/")) == (
        [f"dropout/drop{i}/draws" for i in (1, 2, 3)] if changes else [])


def test_files_keep_their_recipe_when_a_named_recipe_is_redefined(mnist_dir, tmp_path, monkeypatch):
    """Every file records all of its recipe's fields: loading or resuming it after RECIPES
    changed (as the default did) restates its changes against the new definition."""
    import dataclasses

    from minigan import train as train_module
    from minigan.recipes import RECIPES
    from minigan.weights import load_gan

    train(small(epochs=1), tmp_path, data=mnist_dir, log=lambda *_: None)
    trained_with = RECIPES["default"]
    monkeypatch.setitem(RECIPES, "default", dataclasses.replace(trained_with, d_spectral_norm=False))
    gan, config, _ = load_gan(tmp_path / "weights_epoch_001.npz")
    assert config.recipe_spec() == trained_with and "D/conv1/sn_u" in gan.named_arrays()
    resumed = train_module.resume_config(tmp_path, {"epochs": 2})
    assert resumed.recipe_spec() == trained_with


def test_averaged_g_samples_and_is_scored_apart_from_the_trained_g(mnist_dir, tmp_path, capsys):
    """With g_ema_decay the weights file carries G_ema/... beside G/...; sample uses the average
    unless --generator trained; the average is not the trained G, and neither changed the other."""
    run = tmp_path / "run"
    argv = ["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "1", "--limit", "128",
            "--set", "g_ema_decay=0.5", "--sample-interval", "1"]
    assert main(argv) == 0
    assert "g_ema_decay=0.5" in capsys.readouterr().out
    weights, meta = load_checkpoint(run / "weights_epoch_001.npz")
    assert meta["config"]["recipe_changes"] == {"g_ema_decay": 0.5} and meta["recipe"]["g_ema_decay"] == 0.5
    ema = sorted(k[len("G_ema/"):] for k in weights if k.startswith("G_ema/"))
    assert ema == sorted(k[len("G/"):] for k in weights if k.startswith("G/"))
    assert not np.array_equal(weights["G_ema/dense4/w"], weights["G/dense4/w"])
    out = {}
    for generator in ("averaged", "trained"):
        assert main(["sample", "--checkpoint", str(run / "weights_epoch_001.npz"), "--n", "8", "--generator", generator,
                     "--out", str(tmp_path / f"{generator}.npy")]) == 0
        out[generator] = np.load(tmp_path / f"{generator}.npy")
    assert not np.array_equal(out["averaged"], out["trained"])
    assert main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "bad"), "--set", "g_ema_decay=1.5",
                 "--epochs", "1", "--limit", "64"]) == 1
    assert "g_ema_decay must be in [0, 1)" in capsys.readouterr().err
    assert main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "bad"), "--set", "d_minibatch_std=true",
                 "--batch-size", "30"]) == 1
    assert "divisible by 4; got 30" in capsys.readouterr().err
    assert main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "bad"), "--set", "ema=0.9"]) == 1
    assert "FIELD one of" in capsys.readouterr().err


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(mnist_dir, tmp_path, monkeypatch):
    train(small(epochs=1), tmp_path, data=mnist_dir, log=lambda *_: None)
    good, _ = load_checkpoint(tmp_path / "checkpoint.npz")
    real_step = gan_module.GAN.train_step
    calls = []

    def poisoned(self, real, z):
        calls.append(1)
        out = real_step(self, real, z)
        return {**out, "g_loss": float("nan")} if len(calls) == 3 else out

    monkeypatch.setattr(gan_module.GAN, "train_step", poisoned)
    with pytest.raises(TrainingDiverged, match=r"non-finite at epoch 2, step 3.*last good checkpoint \(epoch 1\)"):
        train(small(epochs=3), tmp_path, data=mnist_dir, resume=True, log=lambda *_: None)
    kept, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    assert meta["epoch"] == 1 and all(np.array_equal(good[k], kept[k]) for k in good)


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "-1"], "--epochs must be positive"),
    (["--batch-size", "512", "--limit", "100"], "--batch-size 512 is larger than the 100 training images"),
    (["--batch-size", "0"], "--batch-size must be positive"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--device", "cuda"], "--device cuda"),
    (["--resume"], "no checkpoint at"),
])
def test_bad_train_arguments_get_clear_errors(mnist_dir, tmp_path, capsys, monkeypatch, argv, message):
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: False)  # this machine as if without the simulator
    code = main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "run"), "--epochs", "1", *argv])
    err = capsys.readouterr().err
    assert code == 1 and message in err, err
    if "cuda" in argv:
        assert "--device cpu" in err


def test_cli_train_then_sample(mnist_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "1", "--limit", "128"]) == 0
    assert "epoch 1/1  d_loss" in capsys.readouterr().out
    assert main(["sample", "--checkpoint", str(run / "checkpoint.npz"), "--n", "10", "--out", str(tmp_path / "s.npy")]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (10, 28, 28, 1) and samples.dtype == np.float32
    assert samples.min() >= -1 and samples.max() <= 1 and samples.std() > 0
    assert main(["sample", "--checkpoint", str(run / "checkpoint.npz"), "--out", str(tmp_path / "g.png")]) == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["sample", "--checkpoint", str(tmp_path / "none.npz"), "--out", str(tmp_path / "x.png")]) == 1
    assert "no checkpoint at" in capsys.readouterr().err
    assert main(["sample", "--checkpoint", str(run / "weights_epoch_001.npz"), "--n", "10",
                 "--out", str(tmp_path / "w.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "w.npy"), samples)  # the same generator at epoch 1
    # resume with a conflicting setting is refused; extending epochs is allowed
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--resume", "--limit", "64"]) == 1
    assert "trained with limit=128" in capsys.readouterr().err
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--resume", "--epochs", "2"]) == 0
    assert "epoch 2/2" in capsys.readouterr().out
