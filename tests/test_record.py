"""The flight recorder (train --record): its statistics against the same quantities computed
apart; its files across an interrupted and resumed run; its refusals. (Under mpiexec and on
CUDA's simulator, its rows equal one CPU process's: tests/test_distributed.py.)"""

import dataclasses
import sys
import types

import numpy as np
import pytest
from conftest import rel_err

from minigan import backends
from minigan import gan as gan_module
from minigan.cli import main
from minigan.config import TrainConfig
from minigan.distributed import World
from minigan.gan import GAN
from minigan.record import Recorder, layer_series, load, recorded_layers
from minigan.recipes import RECIPES
from minigan.train import TrainingInterrupted, train

TINY = dict(g_widths=(6, 5, 7), d_channels=(3, 4, 5))


def tiny_gan(recipe, ops, seed=3, dtype=np.float64):
    return GAN(recipe, np.random.default_rng(seed), ops, np.dtype(dtype), **TINY)


def batch(B, seed=4):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (B, 28, 28, 1)), rng.standard_normal((B, 100))


def recorded_row(gan, real, z, step=1):
    recorder = Recorder(1, gan, World(None))
    watch = recorder.watch(step)
    out = gan.train_step(real, z, watch)
    recorder.keep(watch, step, 1, out)
    return recorder.rows[0]


def spy_on_a_step(gan, real, z):
    """Run one plain train_step, keeping copies of what the record is made of: every recorded
    layer's output at each forward, the gradients each Adam step got, the weights before and
    after, and G's images with the gradient D's backward handed them in the G step."""
    seen = {"outputs": {}, "grads": {}, "dfake": None}
    host = lambda a: np.array(gan.ops.to_host(a), dtype=np.float64)
    for name in ("G", "D"):
        for layer in recorded_layers(getattr(gan, name)):
            def forward(x, f=layer.forward, key=f"{name}/{layer.name}"):
                y = f(x)
                seen["outputs"].setdefault(key, []).append(host(y))
                return y
            layer.forward = forward
    for name, opt in (("G", gan.opt_g), ("D", gan.opt_d)):
        def step(grads, f=opt.step, name=name):
            seen["grads"][name] = {k: host(v) for k, v in grads.items()}
            f(grads)
        opt.step = step
    d_backward = gan.D.backward

    def backward(dy, input_grad=True, param_grads=True, layer_done=None):
        dx = d_backward(dy, input_grad, param_grads, layer_done)
        if not param_grads:  # the G step: D only passes the gradient on, to G's images
            seen["dfake"] = host(dx)
        return dx

    gan.D.backward = backward
    before = {k: host(v) for k, v in {**{f"G/{k}": v for k, v in gan.G.params().items()},
                                      **{f"D/{k}": v for k, v in gan.D.params().items()}}.items()}
    out = gan.train_step(real, z)
    after = {k: host(v) for k, v in {**{f"G/{k}": v for k, v in gan.G.params().items()},
                                     **{f"D/{k}": v for k, v in gan.D.params().items()}}.items()}
    return out, seen, before, after


def expected_row(gan, real, z):
    """The record's row of one step, computed from first principles on a spied step."""
    out, seen, before, after = spy_on_a_step(gan, real, z)
    row = {"d_real": out["d_real"], "d_fake": out["d_fake"]}
    B = len(real)
    fake, g = seen["outputs"]["G/dense4"][0], seen["dfake"].reshape(B, -1) * B  # each image's own gradient
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    gram = unit @ unit.T
    images = np.tanh(fake).reshape(B, -1)
    row.update(fake_grad_norm=np.linalg.norm(g, axis=1).mean(), fake_grad_cos=(gram.sum() - np.trace(gram)) / (B * (B - 1)),
               fake_spread=images.std(axis=0).mean())
    for name in ("G", "D"):
        for layer in recorded_layers(getattr(gan, name)):
            key = f"{name}/{layer.name}"
            params = [f"{key}/{k}" for k in layer.params]
            flat = lambda arrays: np.concatenate([a.ravel() for a in arrays])
            row[f"{key}/grad_norm"] = np.linalg.norm(flat([seen["grads"][name][p.partition("/")[2]] for p in params]))
            row[f"{key}/weight_norm"] = np.linalg.norm(flat([before[p] for p in params]))
            row[f"{key}/update_ratio"] = (np.linalg.norm(flat([after[p] - before[p] for p in params]))
                                          / row[f"{key}/weight_norm"])
            y = seen["outputs"][key][0]  # D: the D step's forward of [real; fake]; G: its one forward
            row[f"{key}/act_mean"], row[f"{key}/act_std"] = y.mean(), y.std()
            if layer.spec.activation.kind != "linear":
                units = y.reshape(-1, y.shape[-1])  # a convolution's unit is its channel, at every position
                row[f"{key}/dead"] = np.mean(np.all(units <= 0, axis=0))
    return row


@pytest.mark.parametrize("recipe", ["default", "sharp+dropout"])
def test_every_statistic_equals_its_definition(recipe):
    """One recorded step of a tiny GAN (default: spectral norm, relu; sharp with dropout:
    BatchNorm, leaky units, dropout) against the statistics computed apart from a spied step
    of a twin: the gradients Adam got, the weights before and after, each layer's outputs."""
    spec = RECIPES[recipe.partition("+")[0]]
    if "dropout" in recipe:
        spec = dataclasses.replace(spec, d_dropout=0.3)
    real, z = batch(8)
    ops = backends.get("cpu")
    row = recorded_row(tiny_gan(spec, ops), real, z)
    expected = expected_row(tiny_gan(spec, ops), real, z)
    assert set(row) - set(expected) == {"step", "epoch"} | {k for k in row if k.endswith("/sigma")}
    wrong = {k: (row[k], v) for k, v in expected.items() if abs(row[k] - v) > 1e-10 * max(1.0, abs(v))}
    assert not wrong, wrong
    if recipe == "default":  # relu units of tiny layers do die: the comparison is not of zeros alone
        assert row["G/dense2/dead"] > 0 and row["G/dense3/dead"] > 0
    sigmas = [k for k in row if k.endswith("/sigma")]
    assert len(sigmas) == 4 and all(row[k] > 0 for k in sigmas)
    # sigma is the D step's: the power iteration's of the weights before D's update
    twin = tiny_gan(spec, ops)
    twin.D.power_iteration()
    assert abs(row["D/conv3/sigma"] - twin.D.layers[[layer.name for layer in twin.D.layers].index("conv3")]
               .sigma_of_iteration) < 1e-12


def small(**kw):
    return TrainConfig(**{"epochs": 2, "batch_size": 32, "limit": 256, "sample_interval": 10, "n_samples": 16,
                          "record": 3, **kw})


def event_scalars(run):
    """{tag: [(step, value), ...]} as TensorBoard reads the run folder (its own loader, with
    TensorBoard's stub of TensorFlow, as a TensorBoard without TensorFlow runs)."""
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run), size_guidance={"scalars": 0})
    accumulator.Reload()
    return {t: [(e.step, e.value) for e in accumulator.Scalars(t)] for t in accumulator.Tags()["scalars"]}


def test_a_killed_and_resumed_run_records_every_step_once(mnist_dir, tmp_path, monkeypatch):
    """A run killed in epoch 1 (before its first checkpoint but the initial one), resumed and
    killed in epoch 2, resumed to the end: record.csv equals an uninterrupted run's bit for
    bit, and TensorBoard's reading of the folder has every recorded step once, with the table's
    values, though the killed tries had written steps past their checkpoints into event files."""
    quiet = lambda *_: None
    train(small(), tmp_path / "full", data=mnist_dir, log=quiet)
    split, step = tmp_path / "split", gan_module.GAN.train_step

    def killed_at(call, resume):
        calls = []

        def killed(self, real, z, watch=None):
            calls.append(1)
            if len(calls) == call:
                raise KeyboardInterrupt
            return step(self, real, z, watch)

        monkeypatch.setattr(gan_module.GAN, "train_step", killed)
        with pytest.raises(TrainingInterrupted):
            train(small(), split, data=mnist_dir, resume=resume, log=quiet)
        monkeypatch.setattr(gan_module.GAN, "train_step", step)
        return [s for s, _ in event_scalars(split)["step/d_fake"]]

    assert killed_at(6, resume=False) == [1, 4]  # 8 steps an epoch, every third recorded: the checkpoint is epoch 0's
    assert killed_at(14, resume=True) == [1, 4, 7, 10, 13]  # 1 and 4 again, once; the checkpoint is epoch 1's
    train(small(), split, data=mnist_dir, resume=True, log=quiet)  # 10 and 13 again
    full, resumed = load(tmp_path / "full"), load(split)
    assert list(full) == list(resumed) and all(np.array_equal(full[k], resumed[k]) for k in full)
    assert list(resumed["step"]) == [1, 4, 7, 10, 13, 16] and list(resumed["epoch"]) == [1, 1, 1, 2, 2, 2]
    scalars = event_scalars(split)
    assert len(scalars) == len(full) - 2  # every column but step and epoch
    for tag, column in [("step/d_fake", "d_fake"), ("grad_norm/D/conv3", "D/conv3/grad_norm"),
                        ("update_ratio/G/dense1", "G/dense1/update_ratio")]:
        steps, values = zip(*scalars[tag])
        assert list(steps) == list(full["step"])
        assert rel_err(values, full[column]) < 1e-6  # the event files keep float32
    names, grad_norms = layer_series(full, "D", "grad_norm")
    assert names == ["conv1", "conv2", "conv3", "dense"] and grad_norms.shape == (4, 6) and np.all(grad_norms > 0)


@pytest.mark.parametrize("argv, message", [
    (["--record", "0"], "--record must be >= 1, got 0; leave --record out to train without the recorder"),
    (["--record", "-4"], "--record must be >= 1, got -4"),
    (["--record", "often"], "argument --record: invalid int value: 'often'"),
])
def test_a_bad_interval_is_refused(mnist_dir, tmp_path, capsys, argv, message):
    try:
        code = main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "run"), *argv])
    except SystemExit as exit:  # argparse's refusal of a value that is not an int
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "run").exists()


def test_without_the_record_extra_the_install_command_is_named(mnist_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)  # as if not installed: importing it fails
    assert main(["train", "--data", str(mnist_dir), "--out", str(tmp_path / "run"), "--record"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'minigan[record]'" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()



def test_overwrite_discards_a_previous_record_and_what_was_made_of_it(tmp_path):
    """--overwrite deletes a run's record, its event files, its scores and its report, and
    nothing else of the folder's."""
    from minigan.runfolder import RunFolder

    for name in ("record.csv", "events.out.tfevents.1796500000.host", "scores.jsonl", "training_report.html",
                 "notes.txt"):
        (tmp_path / name).write_text("x")
    folder = RunFolder.claim(tmp_path, overwrite=True)
    folder.discard_previous()
    folder.release()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_event_writer_leaves_pytorch_unimported_and_importable(tmp_path):
    """tensorboardX would import PyTorch where it is installed (the test extra installs it):
    the recorder's writer keeps it out, and `import torch` works after it."""
    import subprocess

    from conftest import REPO

    script = (f"import sys; from minigan.event_files import EventWriter; EventWriter({str(tmp_path)!r}).close(); "
              f"print('torch' in sys.modules); import torch; print(torch.ones(2).sum().item())")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "2.0"]
    assert list(tmp_path.glob("events.out.tfevents.*.step1"))
