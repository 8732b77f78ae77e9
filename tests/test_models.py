"""The documented models: shapes, initialisation, and one full training step's gradients."""

import numpy as np
import pytest

import kernels.cpu
from minigan.gan import GAN
from minigan.gradcheck import spot_check
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
    shapes = []
    x = img
    for layer in D.layers:
        x = layer.forward(x)
        shapes.append(x.shape)
    assert shapes[:3] == [(5, 9, 9, 128), (5, 3, 3, 256), (5, 1, 1, 512)]  # each conv with its relu
    assert [layer.activation for layer in D.layers[:3]] == ["relu"] * 3
    assert np.all(D.layers[1].y >= 0) and (D.layers[1].y == 0).any()  # the relu applied
    assert x.shape == (5, 1)
    g_shapes = {k: v.shape for k, v in G.params().items()}
    assert g_shapes == {"dense1/w": (100, 128), "dense1/b": (128,), "dense2/w": (128, 256), "dense2/b": (256,),
                        "dense3/w": (256, 512), "dense3/b": (512,), "dense4/w": (512, 784), "dense4/b": (784,)}
    d_shapes = {k: v.shape for k, v in D.params().items()}
    assert d_shapes == {"conv1/w": (3, 3, 1, 128), "conv1/b": (128,), "conv2/w": (3, 3, 128, 256),
                        "conv2/b": (256,), "conv3/w": (3, 3, 256, 512), "conv3/b": (512,),
                        "dense/w": (512, 1), "dense/b": (1,)}


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
    spot-checked at random entries of every parameter tensor. Dropout draws its masks from
    the model's RNG, so every loss evaluation restarts that RNG: one set of masks throughout."""
    rng = np.random.default_rng(1)
    gan = GAN(STEP_RECIPES[recipe], rng, kernels.cpu, np.float64)
    real = rng.uniform(-1, 1, size=(4, 28, 28, 1))
    z = rng.standard_normal((4, 100))
    masks = rng.bit_generator.state

    def d_loss():
        rng.bit_generator.state = masks
        return gan.d_loss_and_grads(real, fake)[0]

    def g_loss():
        rng.bit_generator.state = masks
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
    D.set_training(False)
    state = rng.bit_generator.state
    y = D.forward(x)
    dx = D.backward(np.ones_like(y), param_grads=False)
    assert rng.bit_generator.state == state  # no masks drawn
    plain = discriminator(np.random.default_rng(0), kernels.cpu, dtype=np.float64)  # the same weights, no dropout
    plain.load_params(D.params())
    assert np.array_equal(y, plain.forward(x))
    assert np.allclose(dx, plain.backward(np.ones_like(y), param_grads=False), rtol=1e-12, atol=0)
    D.set_training(True)
    assert not np.array_equal(D.forward(x), y)  # training mode drops units again


def test_keep_mask_keeps_each_unit_with_probability_one_minus_rate():
    from minigan.layers import keep_mask

    mask = keep_mask(np.random.default_rng(7), (1000, 999), 0.3, np.float32)
    assert mask.shape == (1000, 999) and mask.dtype == np.float32 and set(np.unique(mask)) == {0.0, 1.0}
    assert abs(mask.mean() - 0.7) < 3e-3  # 1e6 units: the standard error is 4.6e-4
    assert abs(mask[:, :500].mean() - mask[:, 500:].mean()) < 5e-3  # both halves of each 64-bit draw used alike
    assert np.array_equal(mask, keep_mask(np.random.default_rng(7), (1000, 999), 0.3, np.float32))
    assert keep_mask(np.random.default_rng(7), (5, 3), 0.0, np.float64).all()
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    keep_mask(a, (7,), 0.5, np.float32)  # 7 units: 4 draws of 64 bits
    b.bit_generator.random_raw(4)
    assert a.random() == b.random()  # the generator advanced by exactly what was used
