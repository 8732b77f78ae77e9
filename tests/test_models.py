"""The documented models: shapes, initialisation, and one full training step's gradients."""

import numpy as np
import pytest

import kernels.cpu
from minigan.gan import GAN
from minigan.gradcheck import spot_check
from minigan.layers import Dropout
from minigan.models import discriminator, generator
from minigan.recipes import RECIPES, Recipe


def test_documented_shapes():
    rng = np.random.default_rng(0)
    G = generator(rng, kernels.cpu)
    D = discriminator(rng, kernels.cpu)
    z = rng.standard_normal((5, 100)).astype(np.float32)
    img = G.forward(z)
    assert img.shape == (5, 28, 28, 1) and img.dtype == np.float32
    assert np.all(np.abs(img) <= 1)
    outputs = []
    x = img
    for layer in D.layers:
        x = layer.forward(x)
        outputs.append(x)
    assert [y.shape for y in outputs[:3]] == [(5, 9, 9, 128), (5, 3, 3, 256), (5, 1, 1, 512)]
    assert [layer.spec.activation.kind for layer in D.layers[:3]] == ["relu"] * 3  # each conv with its relu
    assert np.all(outputs[1] >= 0) and (outputs[1] == 0).any()  # the relu applied
    assert x.shape == (5, 1)
    g_shapes = {k: v.shape for k, v in G.params().items()}
    assert g_shapes == {"dense1/w": (100, 128), "dense1/b": (128,), "dense2/w": (128, 256), "dense2/b": (256,),
                        "dense3/w": (256, 512), "dense3/b": (512,), "dense4/w": (512, 784), "dense4/b": (784,)}
    d_shapes = {k: v.shape for k, v in D.params().items()}
    assert d_shapes == {"conv1/w": (3, 3, 1, 128), "conv1/b": (128,), "conv2/w": (3, 3, 128, 256),
                        "conv2/b": (256,), "conv3/w": (3, 3, 256, 512), "conv3/b": (512,),
                        "dense/w": (512, 1), "dense/b": (1,)}


def test_only_the_first_forward_after_a_power_iteration_takes_its_sigma():
    """The D step's forward divides by the power iteration's sigma; the G step's, through the
    updated D, and any forward after load_params compute sigma of w as it is then."""
    D = discriminator(np.random.default_rng(1), kernels.cpu, spectral_norm=True)
    conv3 = D.layers[2]
    x = np.random.default_rng(2).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32)
    u, v = conv3.buffers["sn_u"], conv3.buffers["sn_v"]

    def sigma_now():
        return kernels.cpu.spectral_norm_forward(conv3.params["w"], u, v)

    D.power_iteration()
    stepped = conv3.sigma_of_iteration
    D.forward(x)
    assert conv3.sigma == stepped and abs(stepped - sigma_now()) < 1e-5 * stepped
    conv3.params["w"] *= 2  # what an optimizer step does: w moves
    D.forward(x)
    assert abs(conv3.sigma - 2 * stepped) < 1e-5 * stepped
    D.power_iteration()
    stale = conv3.sigma_of_iteration  # of w as it is before the load
    D.load_params({**{k: a * 3 for k, a in D.params().items()}, **D.buffers()})  # w times 3, the same u and v
    D.forward(x)
    assert abs(conv3.sigma - sigma_now()) < 1e-5 * conv3.sigma and abs(conv3.sigma - 3 * stale) < 1e-5 * conv3.sigma


def test_glorot_uniform_init_and_zero_biases():
    G = generator(np.random.default_rng(0), kernels.cpu)
    D = discriminator(np.random.default_rng(0), kernels.cpu)
    w = G.params()["dense4/w"]
    limit = np.sqrt(6 / (512 + 784))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit  # U(-l, l) has std l / sqrt(3)
    wc = D.params()["conv2/w"]
    assert np.abs(wc).max() <= np.sqrt(6 / (9 * 128 + 9 * 256))
    for params in (G.params(), D.params()):
        assert all(not v.any() for k, v in params.items() if k.endswith("/b"))
    again = generator(np.random.default_rng(0), kernels.cpu).params()
    assert all(np.array_equal(again[k], v) for k, v in G.params().items())


STEP_RECIPES = {**RECIPES,
                "leaky": Recipe(g_activation="leaky_relu", d_activation="leaky_relu", real_label=0.9),
                "dropout+mbstd": Recipe("leaky_relu", "leaky_relu", g_batchnorm=True, d_dropout=0.3, d_minibatch_std=True),
                "spectral-norm+ema": Recipe("leaky_relu", "leaky_relu", g_batchnorm=True, d_spectral_norm=True,
                                            g_ema_decay=0.9)}


@pytest.mark.parametrize("recipe", sorted(STEP_RECIPES))
def test_training_step_gradients_match_finite_differences(recipe):
    """Both halves of a step, in float64 on a batch of 4: dL_D/dD-params and dL_G/dG-params,
    spot-checked at random entries of every parameter tensor. Dropout keys each mask by its
    count of calls, so every loss evaluation restarts the counts: one set of masks throughout."""
    rng = np.random.default_rng(1)
    gan = GAN(STEP_RECIPES[recipe], rng, kernels.cpu, np.float64)
    real = rng.uniform(-1, 1, size=(4, 28, 28, 1))
    z = rng.standard_normal((4, 100))
    def same_masks():
        for layer in gan.dropouts():
            layer.draws = 0

    def d_loss():
        same_masks()
        return gan.d_loss_and_grads(real, fake)[0]

    def g_loss():
        same_masks()
        return gan.g_loss_and_grads(gan.G.forward(z))[0]

    fake = gan.G.forward(z)
    d_loss()
    d_grads = {k: v.copy() for k, v in gan.D.grads().items()}
    for name, p in gan.D.params().items():
        res = spot_check(f"D {name}", d_loss, p, d_grads[name], n=4)
        assert res.rel_error < 1e-5, res  # round-off of L (~0.7) over 2h is ~1e-10 absolute

    g_loss()
    g_grads = {k: v.copy() for k, v in gan.G.grads().items()}
    for name, p in gan.G.params().items():
        res = spot_check(f"G {name}", g_loss, p, g_grads[name], n=4)
        assert res.rel_error < 1e-5, res  # round-off of L (~0.7) over 2h is ~1e-10 absolute


def test_dropout_is_the_identity_in_inference_forward_and_backward():
    """In inference mode (sampling, the gradient probe of examples/gradient_directions.py)
    dropout drops nothing and draws nothing, and its backward passes dy through."""
    rng = np.random.default_rng(0)
    D = discriminator(rng, kernels.cpu, dtype=np.float64, dropout=0.5)
    x = rng.uniform(-1, 1, (4, 28, 28, 1))
    D.eval_mode()
    y = D.forward(x)
    dx = D.backward(np.ones_like(y), param_grads=False)
    drops = [layer for layer in D.layers if isinstance(layer, Dropout)]
    assert [layer.draws for layer in drops] == [0, 0, 0]  # no masks drawn
    plain = discriminator(np.random.default_rng(0), kernels.cpu, dtype=np.float64)  # the same weights, no dropout
    plain.load_params(D.params())
    assert np.array_equal(y, plain.forward(x))
    assert np.allclose(dx, plain.backward(np.ones_like(y), param_grads=False), rtol=1e-12, atol=0)
    D.train_mode()
    assert not np.array_equal(D.forward(x), y)  # training mode drops units again


def test_dropout_counts_its_calls_and_a_checkpoint_without_the_counts_is_refused():
    recipe = Recipe(d_dropout=0.3)
    gan = GAN(recipe, np.random.default_rng(0), kernels.cpu)
    rng = np.random.default_rng(1)
    gan.train_step(rng.uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32), rng.standard_normal((4, 100)).astype(np.float32))
    state = gan.state()
    assert [int(state[f"dropout/drop{i}/draws"]) for i in (1, 2, 3)] == [2, 2, 2]  # the D step's call and the G step's
    other = GAN(recipe, np.random.default_rng(0), kernels.cpu)
    assert [layer.key for layer in other.dropouts()] == [layer.key for layer in gan.dropouts()]  # from the seed
    other.load_state(state)
    assert [layer.draws for layer in other.dropouts()] == [2, 2, 2]
    del state["dropout/drop2/draws"]
    with pytest.raises(ValueError, match="no dropout/drop2/draws.*start a new run"):
        other.load_state(state)


def test_splitmix64_computes_the_generators_jth_output_directly():
    from kernels.counter_rng import GOLDEN, MASK64, MIX1, MIX2, splitmix64

    state, outputs = 1234567, []
    for _ in range(5):  # SplitMix64 as a generator: step the state, hash it
        state = (state + GOLDEN) & MASK64
        z = ((state ^ (state >> 30)) * MIX1) & MASK64
        z = ((z ^ (z >> 27)) * MIX2) & MASK64
        outputs.append(z ^ (z >> 31))
    assert [splitmix64(1234567, j) for j in range(5)] == outputs


def test_keep_mask_keeps_each_unit_with_probability_one_minus_rate():
    from kernels.counter_rng import keep_mask

    mask = keep_mask(7, (1000, 999), 0.3, np.float32)
    assert mask.shape == (1000, 999) and mask.dtype == np.float32 and set(np.unique(mask)) == {0.0, 1.0}
    assert abs(mask.mean() - 0.7) < 3e-3  # 1e6 units: the standard error is 4.6e-4
    assert abs(mask.ravel()[0::2].mean() - mask.ravel()[1::2].mean()) < 5e-3  # both halves of each 64-bit draw alike
    assert abs(mask[:, :-1].ravel() @ mask[:, 1:].ravel() / mask[:, 1:].size - 0.49) < 3e-3  # neighbours independent
    assert np.array_equal(mask, keep_mask(7, (1000, 999), 0.3, np.float32))  # a function of the key
    other = keep_mask(8, (1000, 999), 0.3, np.float32)
    assert abs((mask * other).mean() - 0.49) < 3e-3  # another key, an independent mask
    assert np.array_equal(keep_mask(7, (3, 999), 0.3, np.float32, rows=[5, 0, 999]), mask[[5, 0, 999]])
    assert keep_mask(7, (5, 3), 0.0, np.float64).all()


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_the_kernels_drop_what_keep_mask_says(backend):
    """The kernels draw the mask themselves (kernels/cpu/dropout.py); kernels/counter_rng.py's
    keep_mask, which the PyTorch twin drops with, is the same function of (key, row, unit)."""
    import importlib

    from kernels.counter_rng import keep_mask

    K = importlib.import_module(f"kernels.{backend}")
    x = np.random.default_rng(0).uniform(0.5, 1, (6, 3, 3, 7))  # no zeros: a zero output is a drop
    rows = np.array([11, 3, 4, 0, 100, 2])
    y = K.to_host(K.dropout_forward(K.to_device(x), 0.4, 2**64 - 1, K.to_device(rows)))
    np.testing.assert_array_equal(y != 0, keep_mask(2**64 - 1, x.shape, 0.4, bool, rows=rows))
    np.testing.assert_allclose(y[y != 0], x[y != 0] / 0.6, rtol=1e-15)
