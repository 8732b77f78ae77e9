"""The benchmarks' plain-NumPy engine computes what the kernels compute (else its timings
would compare different work)."""

import numpy as np
import pytest
from cases import CONV_CASES, case_id, conv_arrays
from conftest import rel_err

import kernels.cpu as K
from benchmarks import numpy_ops as N
from minigan.gan import GAN
from minigan.recipes import RECIPES


@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
def test_numpy_conv_matches_kernels(case):
    x, w, b, stride, padding = conv_arrays(case, np.float64)
    y = K.conv2d_forward(x, w, b, stride, padding)
    assert rel_err(N.conv2d_forward(x, w, b, stride, padding), y) < 1e-12
    dy = np.random.default_rng(0).standard_normal(y.shape)
    for a, b_ in zip(N.conv2d_backward(dy, x, w, stride, padding), K.conv2d_backward(dy, x, w, stride, padding)):
        assert rel_err(a, b_) < 1e-12


def test_numpy_engine_trains_like_minigan():
    rng = np.random.default_rng(0)
    a = GAN(RECIPES["documented"], np.random.default_rng(1), K, np.float64)
    b = GAN(RECIPES["documented"], np.random.default_rng(1), N, np.float64)
    for _ in range(3):
        real, z = rng.uniform(-1, 1, (4, 28, 28, 1)), rng.standard_normal((4, 100))
        la, lb = a.train_step(real, z), b.train_step(real, z)
        assert abs(la["g_loss"] - lb["g_loss"]) < 1e-10 and abs(la["d_loss"] - lb["d_loss"]) < 1e-10
