"""One contract for both backends (MiniTorch's rule): kernels.cpu and kernels.cuda export the
same names with the same signatures, and each readable variant equals the fast one on both."""

import importlib
import inspect

import numpy as np
import pytest

import kernels.cpu as CPU
from kernels.conv_geometry import depth_to_space, space_to_depth
from conftest import rel_err

GPU = importlib.import_module("kernels.cuda")  # the simulator in CI (tests/conftest.py)


def test_both_backends_export_the_same_names_and_signatures():
    assert sorted(CPU.__all__) == sorted(GPU.__all__), (
        f"cpu only: {sorted(set(CPU.__all__) - set(GPU.__all__))}; cuda only: {sorted(set(GPU.__all__) - set(CPU.__all__))}")
    for name in CPU.__all__:
        cpu, gpu = getattr(CPU, name), getattr(GPU, name)
        assert str(inspect.signature(cpu)) == str(inspect.signature(gpu)), name


def test_the_readme_lists_every_public_name():
    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    contract = readme[readme.index("## The kernel contract"):readme.index("## The study guide")]
    missing = [name for name in CPU.__all__ if name not in contract]
    assert not missing, f"README's kernel contract does not name {missing}"


@pytest.mark.parametrize("backend", [CPU, GPU], ids=["cpu", "cuda"])
def test_readable_variants_equal_the_fast_ones(backend):
    rng = np.random.default_rng(0)
    up, down = backend.to_device, backend.to_host
    x, w, b, dy = rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    assert rel_err(down(backend.dense_forward_reference(up(x), up(w), up(b))), down(backend.dense_forward(up(x), up(w), up(b)))) < 1e-12
    for ref, fast in zip(backend.dense_backward_reference(up(dy), up(x), up(w)), backend.dense_backward(up(dy), up(x), up(w))):
        assert rel_err(down(ref), down(fast)) < 1e-12
    x4, w4, b4 = rng.standard_normal((2, 7, 7, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    for stride, padding in ((2, "same"), (3, "valid"), (1, 1)):
        y = down(backend.conv2d_forward(up(x4), up(w4), up(b4), stride, padding))
        assert rel_err(down(backend.conv2d_forward_reference(up(x4), up(w4), up(b4), stride, padding)), y) < 1e-12
        dy4 = rng.standard_normal(y.shape)
        pairs = zip(backend.conv2d_backward_reference(up(dy4), up(x4), up(w4), stride, padding),
                    backend.conv2d_backward(up(dy4), up(x4), up(w4), stride, padding))
        for ref, fast in pairs:
            assert rel_err(down(ref), down(fast)) < 1e-12
    _, dw, db = backend.dense_backward_reference(up(dy), up(x), up(w), input_grad=False)
    assert _ is None and dw is not None


@pytest.mark.parametrize("backend", [CPU, GPU], ids=["cpu", "cuda"])
@pytest.mark.parametrize("shape, stride, padding, block", [
    ((2, 9, 9, 2), 3, "valid", 3),  # D's conv1 -> conv2: one block a window of the next layer
    ((2, 12, 12, 2), 3, "valid", 2),  # 4 x 4 output, 2 x 2 blocks: two blocks a row
    ((2, 4, 6, 2), 1, "same", 2),  # overlapping windows and padding: col2im adds, in block order
])
def test_out_block_writes_the_plain_output_in_blocks(backend, shape, stride, padding, block):
    """conv2d with out_block=B: y is space_to_depth(plain y, B) (kernels/conv_geometry.py), and the
    backward of a blocked dy is the plain backward of depth_to_space(dy)."""
    rng = np.random.default_rng(4)
    up, down = backend.to_device, backend.to_host
    x, w, b = rng.standard_normal(shape), rng.standard_normal((3, 3, shape[3], 3)), rng.standard_normal(3)
    y_plain = CPU.conv2d_forward_reference(x, w, b, stride, padding)
    y, cols = backend.conv2d_forward_with_cols(up(x), up(w), up(b), stride, padding, "relu", out_block=block)
    assert rel_err(down(y), space_to_depth(np.maximum(y_plain, 0), block)) < 1e-12
    dy = rng.standard_normal(y.shape)
    plain = CPU.conv2d_backward_reference(depth_to_space(dy * (down(y) > 0), block), x, w, stride, padding)
    for name, mine, ref in zip(["dx", "dw", "db"], backend.conv2d_backward(
            up(dy), up(x), up(w), stride, padding, y=y, activation="relu", cols=cols, out_block=block), plain):
        assert rel_err(down(mine), ref) < 1e-12, name


@pytest.mark.parametrize("backend", [CPU, GPU], ids=["cpu", "cuda"])
def test_a_1x1_convolution_over_blocks_is_the_tiling_convolution(backend):
    """What D's conv2 does: over its input in 3 x 3 blocks, a k3 s3 convolution is a 1 x 1 one with
    w reshaped to (1, 1, 9*C, F), whose im2col and col2im are reshapes (cols_are_the_input)."""
    rng = np.random.default_rng(5)
    up, down = backend.to_device, backend.to_host
    x, w, b = rng.standard_normal((2, 6, 9, 4)), rng.standard_normal((3, 3, 4, 5)), rng.standard_normal(5)
    w1 = w.reshape(1, 1, 36, 5)
    y = down(backend.conv2d_forward(up(space_to_depth(x, 3)), up(w1), up(b), 1, "valid"))
    assert y.shape == (2, 2, 3, 5) and rel_err(y, CPU.conv2d_forward_reference(x, w, b, 3, "valid")) < 1e-12
    dy = rng.standard_normal(y.shape)
    dx, dw, db = (down(a) for a in backend.conv2d_backward(up(dy), up(space_to_depth(x, 3)), up(w1), 1, "valid"))
    ref = CPU.conv2d_backward_reference(dy, x, w, 3, "valid")
    for name, mine, r in zip(["dx", "dw", "db"], (depth_to_space(dx, 3), dw.reshape(w.shape), db), ref):
        assert rel_err(mine, r) < 1e-12, name


@pytest.mark.parametrize("backend", [CPU, GPU], ids=["cpu", "cuda"])
def test_an_out_block_that_does_not_divide_the_output_is_refused(backend):
    x, w, b = np.zeros((1, 9, 9, 1)), np.zeros((3, 3, 1, 2)), np.zeros(2)  # a 3 x 3 output
    with pytest.raises(ValueError, match="out_block=2 must divide the output's 3x3 pixels"):
        backend.conv2d_forward(backend.to_device(x), backend.to_device(w), backend.to_device(b), 3, "valid",
                               out_block=2)
    with pytest.raises(ValueError, match="out_block must be an int >= 1"):
        backend.conv2d_forward(backend.to_device(x), backend.to_device(w), backend.to_device(b), 3, "valid",
                               out_block=0)


@pytest.mark.parametrize("backend", [CPU, GPU], ids=["cpu", "cuda"])
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_batchnorm_with_an_activation_is_batchnorm_then_the_activation(backend, activation):
    """Fused on the CPU (one pass), a pass of its own on CUDA: the same numbers either way,
    training and inference, forward and backward."""
    rng = np.random.default_rng(6)
    up, down = backend.to_device, backend.to_host
    x, gamma, beta, dy = rng.standard_normal((8, 5)), rng.uniform(0.5, 2, 5), rng.standard_normal(5), rng.standard_normal((8, 5))
    act = (lambda h: np.maximum(h, 0)) if activation == "relu" else (lambda h: np.where(h > 0, h, 0.1 * h))
    y_plain, mean, inv_std, xhat = CPU.batchnorm_forward(x, gamma, beta)
    y, *_ = backend.batchnorm_forward(up(x), up(gamma), up(beta), activation=activation, alpha=0.1)
    assert rel_err(down(y), act(y_plain)) < 1e-12
    dpre = dy * np.where(y_plain > 0, 1.0, 0.0 if activation == "relu" else 0.1)
    fused = backend.batchnorm_backward(up(dy), up(xhat), up(gamma), up(inv_std), y=y, activation=activation, alpha=0.1)
    for name, mine, ref in zip(["dx", "dgamma", "dbeta"], fused, CPU.batchnorm_backward(dpre, xhat, gamma, inv_std)):
        assert rel_err(down(mine), ref) < 1e-12, name
    var = rng.uniform(0.5, 2, 5)
    y_inf = backend.batchnorm_inference(up(x), up(gamma), up(beta), up(mean), up(var), 1e-3, activation, 0.1)
    assert rel_err(down(y_inf), act(CPU.batchnorm_inference(x, gamma, beta, mean, var, 1e-3))) < 1e-12


def test_the_cpu_reference_refuses_bad_input_before_its_loops():
    with pytest.raises(ValueError, match="x has 3 features"):
        CPU.dense_forward_reference(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(5))
    with pytest.raises(ValueError, match="x has 3 channels"):
        CPU.conv2d_forward_reference(np.zeros((1, 8, 8, 3)), np.zeros((3, 3, 4, 2)), np.zeros(2), 1, 0)
