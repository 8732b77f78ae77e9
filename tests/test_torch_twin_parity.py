"""Whole-training parity: minigan against its PyTorch twin (benchmarks/torch_twin.py),
from the same initial weights, the same real batches and the same noise, 20 full steps.
Plus every layer's backward at the documented shapes against torch autograd.

torch is a test dependency: without it this module fails to import, and so fails."""

import dataclasses

import numpy as np
import pytest
import torch
from conftest import norm_rel, rel_err

import kernels.cpu as K
from benchmarks.torch_twin import TwinGAN
from kernels.specs import ConvSpec, DenseSpec
from minigan.data import load_mnist, to_gan_range
from minigan.gan import GAN
from minigan.recipes import RECIPES
from minigan.weights import export_weights, import_weights

STEPS = 20
# both recipes (the default has spectral norm and the averaged G), and the other departures
# the ablation tried: dropout, a slower D, minibatch stddev
PARITY_RECIPES = {**RECIPES,
                  "sharp+dropout+mbstd+slower-D": dataclasses.replace(RECIPES["sharp"], d_dropout=0.3,
                                                                        d_minibatch_std=True, d_lr_scale=0.25)}


@pytest.fixture(scope="module")
def batches(mnist_dir):
    images, _ = load_mnist("train", mnist_dir, allow_download=False)
    return to_gan_range(images[: STEPS * 32], np.float64).reshape(STEPS, 32, 28, 28, 1)


def twins(recipe, dtype, seed=7):
    """-> (minigan GAN, its twin, the RNG both draw from). Dropout masks: the twin's layers get
    minigan's keys, and both count their calls alike."""
    r = PARITY_RECIPES[recipe]
    rng = np.random.default_rng(seed)
    mine = GAN(r, rng, K, np.dtype(dtype))
    weights = {k: v.copy() for k, v in mine.named_arrays().items()}
    torch.set_num_threads(1)  # deterministic reductions on the torch side
    return mine, TwinGAN.from_recipe(weights, r, getattr(torch, dtype),
                                     mask_keys=[layer.key for layer in mine.dropouts()]), rng


def step(mine, twin, rng, real, z):
    """One train step of each engine on the same batch, noise and dropout masks -> (mine, twin) losses."""
    return mine.train_step(real, z), twin.train_step(real, z)


def loss_error(a, b):
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in ("d_loss", "g_loss"))


def parameter_report(mine, twin, metric=rel_err):
    errors = {k: metric(v, twin.weights()[k]) for k, v in mine.named_arrays().items()}
    return max(errors.values()), ", ".join(f"{k} {v:.2e}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1]))


@pytest.mark.parametrize("recipe", sorted(PARITY_RECIPES))
def test_twenty_training_steps_match_pytorch_float64(batches, recipe):
    """Free-running: 20 full steps each, the same init, batches and noise. In float64 the two
    engines must agree to 1e-9 relative at every step's losses and in every final parameter."""
    mine, twin, rng = twins(recipe, "float64")
    worst_loss = 0.0
    for i in range(STEPS):
        z = rng.standard_normal((32, 100))
        worst_loss = max(worst_loss, loss_error(*step(mine, twin, rng, batches[i], z)))
    worst_param, report = parameter_report(mine, twin)
    assert worst_loss < 1e-9 and worst_param < 1e-9, f"worst loss error {worst_loss:.2e}; parameters: {report}"


@pytest.mark.parametrize("recipe", sorted(PARITY_RECIPES))
def test_each_float32_step_matches_pytorch(batches, recipe):
    """Teacher-forced float32: before each of 20 steps the twin is loaded with minigan's weights
    and Adam state, so each step is compared on its own. D's loss, taken on the loaded weights,
    agrees to 1e-5 every step; G's loss is taken through D after D's Adam step, so it inherits
    what a ReLU tie (below) does to that step: held to 1e-4 (seen: 1.35e-5, `sharp`, step 17,
    where every other step of every recipe stays under 2.2e-6).

    Parameters are held to 1e-2 (||a - b|| / ||b|| per tensor), not 1e-4: in float32 a ReLU
    pre-activation within rounding of zero can take opposite signs in two engines (seen: one
    conv3 unit at step 3), which moves G's gradient by ~1e-2, and Adam's early steps, near
    lr * sign(g), pass that on to the parameters (measured 2.5e-3 then). The float64 test above
    shows there is no other difference between the engines."""
    mine, twin, rng = twins(recipe, "float32")
    worst = {"d_loss": 0.0, "g_loss": 0.0, "parameters": 0.0}
    for i in range(STEPS):
        twin.load_minigan_state(mine.state())
        z = rng.standard_normal((32, 100)).astype(np.float32)
        real = batches[i].astype(np.float32)
        a, b = step(mine, twin, rng, real, z)
        for k in ("d_loss", "g_loss"):
            worst[k] = max(worst[k], abs(a[k] - b[k]) / abs(b[k]))
        param, report = parameter_report(mine, twin, norm_rel)
        assert param < 1e-2, f"step {i + 1}: {report}"
        worst["parameters"] = max(worst["parameters"], param)
    print("float32 teacher-forced, worst errors:", ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    assert worst["d_loss"] < 1e-5 and worst["g_loss"] < 1e-4, worst


def torch_layer(kind, x, w, b):
    if kind == "dense":
        return x @ w + b
    y = torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1).contiguous(), b, stride=3)
    return y.permute(0, 2, 3, 1)


LAYERS = [  # (name, kind, input shape without batch, weight shape)
    ("G dense1", "dense", (100,), (100, 128)), ("G dense2", "dense", (128,), (128, 256)),
    ("G dense3", "dense", (256,), (256, 512)), ("G dense4", "dense", (512,), (512, 784)),
    ("D conv1", "conv", (28, 28, 1), (3, 3, 1, 128)), ("D conv2", "conv", (9, 9, 128), (3, 3, 128, 256)),
    ("D conv3", "conv", (3, 3, 256), (3, 3, 256, 512)), ("D dense", "dense", (512,), (512, 1)),
]


@pytest.mark.parametrize("batch", [32, 256])
@pytest.mark.parametrize("name, kind, in_shape, w_shape", LAYERS, ids=[l[0] for l in LAYERS])
def test_documented_layer_backward_matches_autograd(name, kind, in_shape, w_shape, batch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((batch, *in_shape)).astype(np.float32)
    w = (rng.standard_normal(w_shape) * 0.05).astype(np.float32)
    b = rng.standard_normal(w_shape[-1]).astype(np.float32)
    if kind == "dense":
        y, cache = K.dense_forward(x, w, b, DenseSpec())
        dy = rng.standard_normal(y.shape).astype(np.float32)
        grads = K.dense_backward(dy, cache)
    else:
        y, cache = K.conv2d_forward(x, w, b, ConvSpec(3, "valid"))
        dy = rng.standard_normal(y.shape).astype(np.float32)
        grads = K.conv2d_backward(dy, cache)
    ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    yt = torch_layer(kind, *ts)
    yt.backward(torch.tensor(dy))
    assert rel_err(y, yt.detach().numpy()) < 1e-5, f"{name} forward"
    for gname, mine, t in zip(["dx", "dw", "db"], grads, ts):
        assert rel_err(mine, t.grad.numpy()) < 1e-5, f"{name} {gname}"


def test_weights_round_trip_through_npz(tmp_path):
    a = GAN(RECIPES["documented"], np.random.default_rng(1), K)
    b = GAN(RECIPES["documented"], np.random.default_rng(2), K)
    export_weights(a, tmp_path / "w.npz")
    import_weights(b, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz") as f:
        assert sorted(f.files) == sorted(a.named_arrays())
    assert all(np.array_equal(v, b.named_arrays()[k]) for k, v in a.named_arrays().items())
    twin = TwinGAN(a.named_arrays())
    assert all(np.array_equal(v, twin.weights()[k]) for k, v in a.named_arrays().items())
