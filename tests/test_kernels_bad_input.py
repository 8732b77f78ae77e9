"""Bad input raises a ValueError naming the argument and the shapes."""

import importlib

import numpy as np
import pytest

import kernels.cpu as K

BACKENDS = {"cpu": lambda: K, "cuda": lambda: importlib.import_module("kernels.cuda")}

f32 = np.float32


def z(*shape, dtype=f32):
    return np.zeros(shape, dtype=dtype)


@pytest.mark.parametrize("call, words", [
    (lambda K: K.dense_forward(z(2, 3), z(4, 5), z(5)), ["x has 3 features", "(2, 3)", "(4, 5)"]),
    (lambda K: K.dense_forward(z(2, 3, 1), z(3, 5), z(5)), ["x must be 2-D", "(2, 3, 1)"]),
    (lambda K: K.dense_forward(z(2, 3), z(3, 5), z(4)), ["b has shape (4,)", "(5,)"]),
    (lambda K: K.dense_backward(z(2, 4), z(2, 3), z(3, 5)), ["dy has shape (2, 4)", "(2, 5)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 3), z(3, 3, 4, 2), z(2), 1, 0), ["x has 3 channels", "(1, 8, 8, 3)", "(3, 3, 4, 2)"]),
    (lambda K: K.conv2d_forward(z(8, 8, 3), z(3, 3, 3, 2), z(2), 1, 0), ["x must be 4-D", "(8, 8, 3)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 3), z(3, 3, 3), z(2), 1, 0), ["w must be 4-D", "(3, 3, 3)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 3), z(3, 3, 3, 2), z(3), 1, 0), ["b has shape (3,)", "(2,)"]),
    (lambda K: K.conv2d_forward(z(1, 2, 2, 1), z(3, 3, 1, 1), z(1), 1, "valid"), ["empty output", "(1, 2, 2, 1)", "(3, 3, 1, 1)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 1), z(3, 3, 1, 1), z(1), 0, 0), ["stride must be >= 1"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 1), z(3, 3, 1, 1), z(1), 1, -1), ["padding must be >= 0"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 1), z(3, 3, 1, 1), z(1), 1, "full"), ["padding must be", "'full'"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 1), z(3, 3, 1, 1), z(1), (1, 2, 3), 0), ["stride must be an int or an (h, w) pair"]),
    (lambda K: K.conv2d_backward(z(1, 3, 3, 2), z(1, 8, 8, 1), z(3, 3, 1, 2), 1, 0), ["dy has shape (1, 3, 3, 2)", "(1, 6, 6, 2)"]),
    (lambda K: K.relu_backward(z(2, 3), z(3, 2)), ["one shape", "(2, 3)", "(3, 2)"]),
    (lambda K: K.conv2d_forward(z(1, 3, 3, 1), z(3, 3, 1, 2), z(2), 3, 0, "gelu"), ["activation must be one of", "'gelu'"]),
    (lambda K: K.dense_forward(z(2, 3), z(3, 5), z(5), "tanh"), ["activation must be one of", "'relu'"]),
    (lambda K: K.conv2d_backward(z(1, 1, 1, 2), z(1, 3, 3, 1), z(3, 3, 1, 2), 3, 0, activation="relu"),
     ["needs y, the forward's output", "pass y="]),
    (lambda K: K.dense_backward(z(2, 5), z(2, 3), z(3, 5), y=z(5, 2), activation="leaky_relu"), ["one shape", "(2, 5)", "(5, 2)"]),
    (lambda K: K.conv2d_backward(z(1, 2, 2, 2), z(1, 6, 6, 1), z(3, 3, 1, 2), 3, 0, cols=z(4, 8)),
     ["cols has shape (4, 8)", "(4, 9)", "im2col"]),
    (lambda K: K.bce_with_logits_forward(z(4, 1), z(4)), ["one shape", "(4, 1)", "(4,)"]),
    (lambda K: K.adam_update(z(3), z(4), z(3), z(3), 1), ["one shape"]),
    (lambda K: K.adam_update(z(3), z(3), z(3), z(3), 0), ["step", "1-based"]),
    (lambda K: K.sgd_momentum_update(z(4, 4)[:, ::2], z(4, 2), z(4, 2)), ["param must be C-contiguous"]),
    (lambda K: K.batchnorm_forward(z(4, 3), z(4), z(4)), ["gamma has shape (4,)", "(3,)"]),
    (lambda K: K.batchnorm_forward(z(1, 3), z(3), z(3)), ["batch size 1", "at least 2"]),
    (lambda K: K.batchnorm_running_update(z(3), z(3), z(3), z(3), 1.5), ["momentum must be in [0, 1]"]),
    (lambda K: K.batchnorm_backward(z(4, 3), z(4, 3), z(2), z(2)), ["gamma has shape (2,)", "(3,)"]),
    (lambda K: K.dense_forward(z(2, 3), z(3, 5), z(5), "leaky_relu", -0.5), ["alpha > 0", "alpha=-0.5"]),
    (lambda K: K.conv2d_backward(z(1, 1, 1, 2), z(1, 3, 3, 1), z(3, 3, 1, 2), 3, 0, y=z(1, 1, 1, 2),
                               activation="leaky_relu", alpha=float("nan")), ["finite slope alpha > 0"]),
    (lambda K: K.dropout_forward(z(4, 3), 1.0, 5), ["rate must be in [0, 1)"]),
    (lambda K: K.dropout_forward(z(4, 3), 0.5, -1), ["key must be an int in [0, 2^64)"]),
    (lambda K: K.dropout_forward(z(4, 3), 0.5, 5, z(4)), ["rows must be 4 integers", "float"]),
    (lambda K: K.dropout_forward(z(4, 3), 0.5, 5, np.arange(3)), ["rows must be 4 integers", "(3,)"]),
    (lambda K: K.softmax_cross_entropy_forward(z(4, 3), np.array([0, 1, 2])), ["labels must be integers of shape (4,)"]),
    (lambda K: K.softmax_cross_entropy_forward(z(2, 3), np.array([0, 3])), ["labels must lie in [0, 3)"]),
])
@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_bad_shapes_are_named(call, words, backend):
    """The same checks on both backends (kernels/checks.py; CUDA under the simulator in CI):
    the CUDA kernels are handed the same host arrays, and must refuse them before any launch."""
    with pytest.raises(ValueError) as err:
        call(BACKENDS[backend]())
    for word in words:
        assert word in str(err.value), (word, str(err.value))


@pytest.mark.parametrize("call, name", [
    (lambda: K.dense_forward(z(2, 3, dtype=np.int64), z(3, 5), z(5)), "x"),
    (lambda: K.conv2d_forward(z(1, 8, 8, 1), z(3, 3, 1, 1, dtype=np.float16), z(1), 1, 0), "w"),
    (lambda: K.relu_forward(z(3, dtype=np.int32)), "x"),
    (lambda: K.bce_with_logits_backward(z(3, dtype=np.uint8), z(3)), "logits"),
])
def test_non_floating_dtype_is_named(call, name):
    with pytest.raises(ValueError, match=rf"{name} has dtype .* float32 or float64"):
        call()


def test_mixed_dtypes_are_refused():
    with pytest.raises(ValueError, match=r"one dtype.*x=float32.*w=float64"):
        K.dense_forward(z(2, 3), z(3, 5, dtype=np.float64), z(5))
