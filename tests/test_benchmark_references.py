"""The benchmarks' plain-NumPy engine computes what the kernels compute (else its timings
would compare different work), through the same contract."""

import inspect

import numpy as np
import pytest
from cases import CONV_CASES, DENSE_CASES, case_id, conv_arrays
from conftest import rel_err

import kernels.cpu as K
from benchmarks import numpy_ops as N
from kernels.contract import CONTRACT
from kernels.specs import Activation, ConvSpec, DenseSpec
from minigan.gan import GAN
from minigan.recipes import RECIPES

# linear as the benchmarks time the layers; leaky_relu after a spectrally normalised kernel, the
# other paths of the same passes
OPTIONS = [(Activation(), None), (Activation("leaky_relu", 0.2), 1.7)]
OPTION_IDS = ["linear", "leaky_relu-sigma"]


def assert_same_layer(layer, x, w, b, spec, sigma):
    """NumPy's forward and backward of a layer ('dense' or 'conv2d') against kernels.cpu's, to 1e-12."""
    y, cache = getattr(K, f"{layer}_forward")(x, w, b, spec, sigma)
    y_numpy, cache_numpy = getattr(N, f"{layer}_forward")(x, w, b, spec, sigma)
    assert rel_err(y_numpy, y) < 1e-12
    dy = np.random.default_rng(0).standard_normal(y.shape)
    grads, grads_numpy = getattr(K, f"{layer}_backward")(dy, cache), getattr(N, f"{layer}_backward")(dy, cache_numpy)
    for a, b_ in zip(grads_numpy, grads, strict=True):
        assert rel_err(a, b_) < 1e-12


@pytest.mark.parametrize("activation, sigma", OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
def test_numpy_conv_matches_kernels(case, activation, sigma):
    x, w, b, stride, padding = conv_arrays(case, np.float64)
    assert_same_layer("conv2d", x, w, b, ConvSpec(stride, padding, activation), sigma)


@pytest.mark.parametrize("activation, sigma", OPTIONS, ids=OPTION_IDS)
@pytest.mark.parametrize("case", DENSE_CASES, ids=case_id)
def test_numpy_dense_matches_kernels(case, activation, sigma):
    n, i, o = case
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((n, i)), rng.standard_normal((i, o)), rng.standard_normal(o)
    assert_same_layer("dense", x, w, b, DenseSpec(activation), sigma)


def test_numpy_engine_has_kernels_cpus_signatures():
    """Every contract name the NumPy engine has takes kernels.cpu's arguments, and it has every
    one the documented GAN's step calls; it has no kernel outside the contract."""
    shared = [name for name in CONTRACT if hasattr(N, name)]
    step = {"dense_forward", "dense_backward", "conv2d_forward", "conv2d_backward", "relu_forward", "relu_backward",
            "tanh_forward", "tanh_backward", "bce_with_logits_forward", "bce_with_logits_backward", "adam_update",
            "zeros_like", "concat_rows", "copy_into", "to_device", "to_host", "Workspace"}
    assert step <= set(shared), step - set(shared)
    for name in shared:
        assert inspect.signature(getattr(N, name)) == inspect.signature(getattr(K, name)), name
    kernels = {name for name in dir(N) if name.endswith(("_forward", "_backward", "_update"))}
    assert kernels <= set(CONTRACT), kernels - set(CONTRACT)


def test_numpy_engine_trains_like_minigan():
    rng = np.random.default_rng(0)
    a = GAN(RECIPES["documented"], np.random.default_rng(1), K, np.float64)
    b = GAN(RECIPES["documented"], np.random.default_rng(1), N, np.float64)
    for _ in range(3):
        real, z = rng.uniform(-1, 1, (4, 28, 28, 1)), rng.standard_normal((4, 100))
        la, lb = a.train_step(real, z), b.train_step(real, z)
        assert abs(la["g_loss"] - lb["g_loss"]) < 1e-10 and abs(la["d_loss"] - lb["d_loss"]) < 1e-10
