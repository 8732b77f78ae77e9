"""The trainer end to end on a few hundred real images: artifacts, resume, divergence, errors."""

import csv
import errno
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from minigan import gan as gan_module
from minigan.checkpoint import load_checkpoint, save_checkpoint
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
                 "--epochs", "1", "--limit", "64"]) == 2
    assert "g_ema_decay must be a finite number in [0.0, 1.0)" in capsys.readouterr().err
    assert main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "bad"), "--set", "d_minibatch_std=true",
                 "--batch-size", "30"]) == 2
    assert "divisible by 4; got 30" in capsys.readouterr().err
    assert main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "bad"), "--set", "ema=0.9"]) == 2
    assert "FIELD one of" in capsys.readouterr().err


def test_non_finite_loss_stops_and_keeps_last_good_checkpoint(mnist_dir, tmp_path, monkeypatch):
    train(small(epochs=1), tmp_path, data=mnist_dir, log=lambda *_: None)
    good, _ = load_checkpoint(tmp_path / "checkpoint.npz")
    real_step = gan_module.GAN.train_step
    calls = []

    def poisoned(self, real, z, watch=None):
        calls.append(1)
        out = real_step(self, real, z, watch)
        return {**out, "g_loss": float("nan")} if len(calls) == 3 else out

    monkeypatch.setattr(gan_module.GAN, "train_step", poisoned)
    with pytest.raises(TrainingDiverged, match=r"non-finite at epoch 2, step 3.*last good checkpoint \(epoch 1\)"):
        train(small(epochs=3), tmp_path, data=mnist_dir, resume=True, log=lambda *_: None)
    kept, meta = load_checkpoint(tmp_path / "checkpoint.npz")
    assert meta["epoch"] == 1 and all(np.array_equal(good[k], kept[k]) for k in good)


@pytest.mark.parametrize("argv, message, code", [
    (["--epochs", "-1"], "--epochs must be >= 0, got -1", 2),
    (["--batch-size", "512", "--limit", "100"], "--batch-size 512 is larger than the 100 training images", 2),
    (["--batch-size", "0"], "--batch-size must be >= 1", 2),
    (["--device", "tpu"], "--device must be one of cpu, cuda; got 'tpu'", 2),
    (["--device", "cuda"], "--device cuda", 1),
    (["--resume"], "no checkpoint at", 1),
    (["--lr", "-1"], "--lr must be a finite number in (0.0, 1.0], got -1.0", 2),
    (["--lr", "nan"], "--lr must be a finite number in (0.0, 1.0], got nan", 2),
    (["--seed", "-5"], "--seed must be in [0, ", 2),
    (["--limit", "-5"], "--limit must be >= 0, got -5; 0 uses all images", 2),
    (["--set", "d_lr_scale=-1"], "--set d_lr_scale must be a finite number > 0.0, got -1.0", 2),
    (["--set", "real_label=5"], "--set real_label must be a finite number in (0.0, 1.0], got 5.0", 2),
    (["--set", "real_label=nan"], "--set real_label must be a finite number in (0.0, 1.0], got nan", 2),
    (["--set", "d_dropout=2"], "--set d_dropout must be a finite number in [0.0, 1.0), got 2.0", 2),
    (["--set", "g_ema_decay=1.5"], "--set g_ema_decay must be a finite number in [0.0, 1.0), got 1.5", 2),
])
def test_bad_train_arguments_get_clear_errors(mnist_dir, tmp_path, capsys, monkeypatch, argv, message, code):
    """Refused before anything is written: the run folder is not even made."""
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: False)  # this machine as if without the simulator
    code_got = main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "run"), "--epochs", "1", "--limit",
                     "64", "--threads", "1", *argv])
    err = capsys.readouterr().err
    assert code_got == code and message in err and "Traceback" not in err, err
    assert not (tmp_path / "run").exists()
    if "cuda" in argv:
        assert "--device cpu" in err


def test_bad_paths_get_clear_errors(mnist_dir, tmp_path, capsys, monkeypatch):
    """--out empty, a file or not writable, --data a file or mistyped: refused, and no folder made."""
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = [
        (["--out", ""], "--out must name a folder, got ''"),
        (["--out", str(a_file)], f"--out {a_file} is a file, not a folder"),
        (["--out", str(a_file / "run")], f"{a_file} is a file, not a folder"),
        (["--data", str(a_file), "--out", str(tmp_path / "run")], f"--data {a_file} is a file, not a folder"),
        (["--data", str(tmp_path / "mnsit"), "--out", str(tmp_path / "run")], "no such folder"),
    ]
    for argv, message in cases:
        assert main(["train", "--data", str(mnist_dir), "--limit", "64", "--threads", "1", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # neither --out nor the mistyped --data made
    # a read-only file system (or a folder without write permission), as os.access reports it: this suite may run
    # as root, whom permission bits do not stop, so the answer is stubbed
    read_only = tmp_path / "ro"
    read_only.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: real_access(path, mode) and Path(path) != read_only)
    assert main(["train", "--data", str(mnist_dir), "--limit", "64", "--out", str(read_only / "run")]) == 2
    assert f"{read_only} is not writable (a read-only file system, or no permission)" in capsys.readouterr().err


def test_a_full_disk_during_a_checkpoint_write_keeps_the_old_one(mnist_dir, tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "1", "--limit", "64"]) == 0
    before = (run / "checkpoint.npz").read_bytes()
    real_fsync = os.fsync

    def full(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(run / ".checkpoint.npz.")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "2", "--resume"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {run / 'checkpoint.npz'}: No space left on device; the previous checkpoint.npz is kept" in err
    assert "Traceback" not in err and (run / "checkpoint.npz").read_bytes() == before
    assert not list(run.glob(".*.tmp"))


@pytest.fixture(scope="module")
def one_epoch_run(mnist_dir, tmp_path_factory):
    """A run folder after one epoch, for tests to copy and damage."""
    run = tmp_path_factory.mktemp("trained") / "run"
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--epochs", "1", "--limit", "64",
                 "--threads", "1"]) == 0
    return run


def edit_checkpoint(path, change):
    arrays, meta = load_checkpoint(path)
    change(arrays, meta)
    save_checkpoint(path, arrays, meta)


def broadcastable_moment(arrays, meta):
    arrays["opt_D/m/conv1/w"] = arrays["opt_D/m/conv1/w"][:1]  # (1, 3, 1, 128) broadcasts into (3, 3, 1, 128)


def float64_moment(arrays, meta):
    arrays["opt_G/v/dense1/w"] = arrays["opt_G/v/dense1/w"].astype(np.float64)


def truncate_log(run):
    (run / "losses.csv").write_bytes((run / "losses.csv").read_bytes()[:150])


@pytest.mark.parametrize("damage, message", [
    (lambda run: shutil.copy(run / "weights_epoch_001.npz", run / "checkpoint.npz"),
     "is a weights file (no Adam or RNG state), so training cannot resume from it"),
    (lambda run: save_checkpoint(run / "checkpoint.npz", {"w": np.zeros(3)}, {"format": "minigan-classifier-1"}),
     "is not a minigan training checkpoint (format 'minigan-classifier-1')"),
    (lambda run: shutil.copy(run / "samples_epoch_000.png", run / "checkpoint.npz"),
     "is not a .npz file (it begins b'\\x89PNG"),
    (lambda run: edit_checkpoint(run / "checkpoint.npz", lambda a, m: a.pop("opt_G/m/dense2/b")),
     "does not fit the model its config describes: it lacks opt_G/m/dense2/b"),
    (lambda run: edit_checkpoint(run / "checkpoint.npz", broadcastable_moment),
     "opt_D/m/conv1/w is float32 (1, 3, 1, 128), the model's is float32 (3, 3, 1, 128)"),
    (lambda run: edit_checkpoint(run / "checkpoint.npz", float64_moment),
     "opt_G/v/dense1/w is float64 (100, 128), the model's is float32 (100, 128)"),
    (truncate_log, "losses.csv: line 3 is cut short or not numbers"),
    (lambda run: edit_checkpoint(run / "checkpoint.npz", lambda a, m: m["config"].update(colour="red")),
     "checkpoint.npz: its config cannot be read (TypeError: "),
], ids=["weights file", "classifier", "png", "missing Adam array", "broadcastable shape", "dtype", "truncated log",
        "unknown config field"])
def test_a_damaged_checkpoint_is_refused_on_resume(mnist_dir, tmp_path, capsys, one_epoch_run, damage, message):
    run = tmp_path / "run"
    shutil.copytree(one_epoch_run, run)
    damage(run)
    kept = {p.name: p.read_bytes() for p in run.iterdir()}
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--limit", "64", "--threads", "1",
                 "--epochs", "2", "--resume"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "pickle" not in err, err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == kept  # nothing written


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
    assert main(["sample", "--checkpoint", str(tmp_path / "none.npz"), "--out", str(tmp_path / "x.png")]) == 2
    assert "--checkpoint " + str(tmp_path / "none.npz") + ": no such file" in capsys.readouterr().err
    (tmp_path / "d.npy").mkdir()
    for argv, message in [(["--n", "1000000000"], "--n must be in [1, 100000], got 1000000000"),
                          (["--seed", "-1"], "--seed must be in [0, "), (["--out", str(tmp_path / "d.npy")], "d.npy is a folder"),
                          (["--out", str(tmp_path / "x.jpg")], "--out must end with .png or .npy")]:
        assert main(["sample", "--checkpoint", str(run / "checkpoint.npz"), "--out", str(tmp_path / "x.npy"),
                     *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, err
    assert main(["sample", "--checkpoint", str(run / "weights_epoch_001.npz"), "--n", "10",
                 "--out", str(tmp_path / "w.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "w.npy"), samples)  # the same generator at epoch 1
    # resume with a conflicting setting is refused; extending epochs is allowed
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--resume", "--limit", "64"]) == 2
    assert "trained with limit=128" in capsys.readouterr().err
    assert main(["train", "--data", str(mnist_dir), "--out", str(run), "--resume", "--epochs", "2"]) == 0
    assert "epoch 2/2" in capsys.readouterr().out
    # a weights file whose bias broadcasts into the model's: refused, not loaded
    edit_checkpoint(run / "weights_epoch_001.npz", lambda a, m: a.update({"G/dense1/b": a["G/dense1/b"][:1]}))
    assert main(["sample", "--checkpoint", str(run / "weights_epoch_001.npz"), "--out", str(tmp_path / "x.npy")]) == 1
    assert "G/dense1/b is float32 (1,), the model's is float32 (128,)" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()
