"""A convolution whose windows tile its input runs its products over views of the input, with
nothing copied (kernels/cpu/tiled_windows.py), and computes what the readable loops compute."""

import numpy as np
import pytest

import kernels.cpu as K
import kernels.reference as R
from conftest import rel_err
from kernels.conv_geometry import conv_geometry
from kernels.cpu import tiled_windows
from kernels.cpu.gemm import STRIDED_OPERANDS
from kernels.specs import Activation, ConvSpec


@pytest.mark.parametrize("shape, kernel, stride", [
    ((3, 9, 9, 4), (3, 3), 3),  # D's conv2, narrower
    ((2, 6, 8, 3), (2, 4), (2, 4)),  # rectangular windows and a rectangular input
    ((2, 4, 4, 2), (1, 1), 1),  # 1 x 1 windows: every pixel its own window
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tiling_windows_take_the_view_path_and_equal_the_loops(shape, kernel, stride, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((*kernel, shape[3], 5)).astype(dtype)
    b, sigma = rng.standard_normal(5).astype(dtype), dtype(1.7)
    spec = ConvSpec(stride, "valid", Activation("leaky_relu", 0.2))
    g = conv_geometry("test", x.shape, w.shape, stride, "valid")
    pointwise = kernel == (1, 1)
    assert tiled_windows.tiles(g, x) == (STRIDED_OPERANDS and not pointwise)  # 1 x 1: im2col is a reshape there
    assert not tiled_windows.tiles(g, x.astype(np.uint16))  # bfloat16 bits: im2col
    y, cache = K.conv2d_forward(x, w, b, spec, sigma, out=K.Workspace())
    assert (cache.cols is None) == tiled_windows.tiles(g, x)
    y_ref, cache_ref = R.conv2d_forward(x, w, b, spec, sigma)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert rel_err(y, y_ref) < tol
    dy = rng.standard_normal(y.shape).astype(dtype)
    for name, mine, ref in zip(("dx", "dw", "db"), K.conv2d_backward(dy, cache), R.conv2d_backward(dy, cache_ref)):
        assert rel_err(mine, ref) < tol, name
    dx, dw, db = K.conv2d_backward(dy, cache, input_grad=False)
    assert dx is None and rel_err(dw, R.conv2d_backward(dy, cache_ref)[1]) < tol
