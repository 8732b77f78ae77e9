"""minigan against its Keras twin (benchmarks/keras_twin.py), the documentation's own framework:
the same documented models from the same weights, forward and a few full training steps.

Keras' Adam puts epsilon elsewhere than minigan's (module docstring there): it is minigan's
rule with eps / sqrt(1 - beta_2^t) in place of eps. So each step is also taken by a second
minigan GAN given exactly that epsilon, the prediction: in float64 Keras must land on the
prediction, and minigan's measured distance from Keras must be the distance the two formulas
predict.

TensorFlow is a test dependency: without it this module fails to import, and so fails."""

import dataclasses

import numpy as np
import pytest
from conftest import norm_rel, rel_err

import kernels.cpu as K
from benchmarks.keras_twin import KerasGAN, adam_steps, keras_epsilon, pin_threads
from kernels.specs import AdamSpec
from minigan.data import load_mnist, to_gan_range
from minigan.gan import GAN
from minigan.recipes import RECIPES

pin_threads(1)  # deterministic reductions on the TensorFlow side
STEPS = 3
BETA2 = 0.999


@pytest.fixture(scope="module")
def batches(mnist_dir):
    images, _ = load_mnist("train", mnist_dir, allow_download=False)
    return to_gan_range(images[: STEPS * 32], np.float64).reshape(STEPS, 32, 28, 28, 1)


def documented(dtype, seed=5):
    return GAN(RECIPES["documented"], np.random.default_rng(seed), K, np.dtype(dtype))


def engines(dtype, mode="eager"):
    """-> (minigan, minigan with Keras' epsilon placement, the Keras twin), all from one init."""
    mine, predicted = documented(dtype), documented(dtype)
    return mine, predicted, KerasGAN({k: v.copy() for k, v in mine.named_arrays().items()}, dtype, mode)


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-10)])
def test_generator_and_discriminator_equal_minigan(batches, dtype, tol):
    mine, _, twin = engines(dtype)
    z = np.random.default_rng(0).standard_normal((32, 100)).astype(dtype)
    real = batches[0].astype(dtype)
    assert rel_err(twin.generate(z), mine.sample(z)) < tol
    assert rel_err(twin.discriminate(real), mine.D.forward(real)) < tol


def run_steps(dtype, batches, mode="eager"):
    """STEPS free-running steps of each engine on the same batches and noise -> (the three
    engines, worst loss error of Keras against the prediction, of Keras' d_loss against minigan's)."""
    mine, predicted, twin = engines(dtype, mode)
    rng = np.random.default_rng(1)
    worst_predicted = worst_d_loss = 0.0
    for t in range(1, STEPS + 1):
        real, z = batches[t - 1].astype(dtype), rng.standard_normal((32, 100)).astype(dtype)
        keras_rule = dataclasses.replace(mine.opt_d.spec, eps=keras_epsilon(mine.opt_d.spec.eps, BETA2, t))
        predicted.opt_d.spec = predicted.opt_g.spec = keras_rule
        a, p, k = mine.train_step(real, z), predicted.train_step(real, z), twin.train_step(real, z)
        worst_predicted = max(worst_predicted, *(abs(k[key] - p[key]) / abs(p[key]) for key in ("d_loss", "g_loss")))
        if t == 1:  # before any update the three D's are one: d_loss agrees with minigan's own
            worst_d_loss = abs(k["d_loss"] - a["d_loss"]) / abs(a["d_loss"])
    return (mine, predicted, twin), worst_predicted, worst_d_loss


def test_float64_steps_differ_from_minigan_exactly_as_the_epsilon_formulas_predict(batches):
    """Three D + G steps in float64. The losses agree with the prediction to 1e-12; every
    parameter's measured difference (minigan - Keras) equals the predicted one (minigan - the
    prediction) to 1e-9 of its norm. The size of that difference is printed: it is what the
    epsilon placement alone does to this model's first steps."""
    (mine, predicted, twin), worst_loss, first_d_loss = run_steps("float64", batches)
    assert worst_loss < 1e-12 and first_d_loss < 1e-12, (worst_loss, first_d_loss)
    ours, theirs, expected = mine.named_arrays(), twin.weights(), predicted.named_arrays()
    report = []
    for key, a in ours.items():
        measured, predicted_diff = a - theirs[key], a - expected[key]
        assert norm_rel(measured, predicted_diff) < 1e-9, (key, norm_rel(measured, predicted_diff))
        report.append(f"{key} {np.linalg.norm(predicted_diff) / np.linalg.norm(a):.1e}")
    print("epsilon placement after", STEPS, "steps, ||minigan - Keras|| / ||minigan||:", ", ".join(report))


@pytest.mark.parametrize("mode", ["eager", "function", "xla"])
def test_float32_steps_match_in_every_mode(batches, mode):
    """Three steps in float32 in each of the benchmarks' modes, Keras' epsilon placement on
    both sides (the float64 test above accounts for the placement): losses to 1e-5, every
    parameter to 1e-2 norm-relative, as the PyTorch twin test holds them (a relu input within
    rounding of zero can flip sign between engines, and Adam's first steps, near lr * sign(g),
    pass that on)."""
    (_, predicted, twin), worst_loss, first_d_loss = run_steps("float32", batches, mode)
    assert worst_loss < 1e-5 and first_d_loss < 1e-6, (worst_loss, first_d_loss)
    theirs = twin.weights()
    worst = {key: norm_rel(theirs[key], a) for key, a in predicted.named_arrays().items()}
    assert max(worst.values()) < 1e-2, worst


@pytest.mark.parametrize("steps", [1, 10, 100])
def test_near_zero_gradients_where_the_epsilon_placement_matters(steps):
    """Adam alone on weights whose gradient stays near 1e-7 (sqrt(v) ~ 1e-7, the order of
    epsilon): Keras' update equals minigan's rule with keras_epsilon to 1e-12, and minigan's own
    update is larger by the factor the formulas give, which the test prints."""
    rng = np.random.default_rng(2)
    p0 = rng.standard_normal(256) * 0.05
    g = rng.choice([-1.0, 1.0], 256) * rng.uniform(0.5e-7, 2e-7, 256)
    [keras_p] = adam_steps([p0], [g], steps)

    def minigan_adam(eps_at):
        p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
        for t in range(1, steps + 1):
            K.adam_update(p, g, m, v, t, AdamSpec(2e-4, 0.5, BETA2, eps_at(t)))
        return p

    ours, predicted = minigan_adam(lambda t: 1e-8), minigan_adam(lambda t: keras_epsilon(1e-8, BETA2, t))
    assert rel_err(keras_p - p0, predicted - p0) < 1e-12
    ratio = np.median((ours - p0) / (keras_p - p0))
    # the formula for the last step alone: (sqrt(v_hat) + eps') / (sqrt(v_hat) + eps), v_hat -> g^2
    assert ratio > 1.0 + 1e-3, ratio
    print(f"near-zero gradients, {steps} steps: minigan moves each weight {ratio:.3f}x as far as Keras")
