"""One contract for both backends (MiniTorch's rule): kernels.cpu and kernels.cuda export the
same names with the same signatures, and each readable variant equals the fast one on both."""

import importlib
import inspect

import numpy as np
import pytest

import kernels.cpu as CPU
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


def test_the_cpu_reference_refuses_bad_input_before_its_loops():
    with pytest.raises(ValueError, match="x has 3 features"):
        CPU.dense_forward_reference(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(5))
    with pytest.raises(ValueError, match="x has 3 channels"):
        CPU.conv2d_forward_reference(np.zeros((1, 8, 8, 3)), np.zeros((3, 3, 4, 2)), np.zeros(2), 1, 0)
