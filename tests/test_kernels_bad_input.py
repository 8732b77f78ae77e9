"""Bad input raises a ValueError naming the argument and the shapes."""

import importlib

import numpy as np
import pytest

import kernels.cpu as K
from kernels.specs import Activation, AdamSpec, BatchNormSpec, ConvSpec, DenseSpec

BACKENDS = {"cpu": lambda: K, "cuda": lambda: importlib.import_module("kernels.cuda")}

f32 = np.float32


def z(*shape, dtype=f32):
    return np.zeros(shape, dtype=dtype)


def assert_refused(call, words):
    """call() raises a ValueError whose message holds every one of words."""
    with pytest.raises(ValueError) as err:
        call()
    for word in words:
        assert word in str(err.value), (word, str(err.value))


# Caches from a forward that succeeded, on the backend's own arrays: what a backward is handed.

def dense_result(K, n, i, o):
    """What a dense_forward with x (n, i), w (i, o) returns: y and its cache."""
    return K.dense_forward(K.to_device(z(n, i)), K.to_device(z(i, o)), K.to_device(z(o)), DenseSpec())


def conv_cache(K, x_shape, w_shape, stride):
    """The cache of a conv2d_forward with x x_shape, w w_shape, no padding."""
    x, w, b = K.to_device(z(*x_shape)), K.to_device(z(*w_shape)), K.to_device(z(w_shape[3]))
    return K.conv2d_forward(x, w, b, ConvSpec(stride, 0))[1]


def batchnorm_cache(K, n, f):
    """The cache of a batchnorm_forward with x (n, f)."""
    return K.batchnorm_forward(K.to_device(z(n, f)), K.to_device(z(f)), K.to_device(z(f)), BatchNormSpec())[1]


@pytest.mark.parametrize("call, words", [
    (lambda K: K.dense_forward(z(2, 3), z(4, 5), z(5), DenseSpec()), ["x has 3 features", "(2, 3)", "(4, 5)"]),
    (lambda K: K.dense_forward(z(2, 3, 1), z(3, 5), z(5), DenseSpec()), ["x must be 2-D", "(2, 3, 1)"]),
    (lambda K: K.dense_forward(z(2, 3), z(3, 5), z(4), DenseSpec()), ["b has shape (4,)", "(5,)"]),
    (lambda K: K.dense_backward(z(2, 4), dense_result(K, 2, 3, 5)[1]), ["dy has shape (2, 4)", "(2, 5)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 3), z(3, 3, 4, 2), z(2), ConvSpec(1, 0)),
     ["x has 3 channels", "(1, 8, 8, 3)", "(3, 3, 4, 2)"]),
    (lambda K: K.conv2d_forward(z(8, 8, 3), z(3, 3, 3, 2), z(2), ConvSpec(1, 0)), ["x must be 4-D", "(8, 8, 3)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 3), z(3, 3, 3), z(2), ConvSpec(1, 0)), ["w must be 4-D", "(3, 3, 3)"]),
    (lambda K: K.conv2d_forward(z(1, 8, 8, 3), z(3, 3, 3, 2), z(3), ConvSpec(1, 0)), ["b has shape (3,)", "(2,)"]),
    (lambda K: K.conv2d_forward(z(1, 2, 2, 1), z(3, 3, 1, 1), z(1), ConvSpec(1, "valid")),
     ["empty output", "(1, 2, 2, 1)", "(3, 3, 1, 1)"]),
    (lambda K: K.conv2d_backward(z(1, 3, 3, 2), conv_cache(K, (1, 8, 8, 1), (3, 3, 1, 2), 1)),
     ["dy has shape (1, 3, 3, 2)", "(1, 6, 6, 2)"]),
    (lambda K: K.dense_backward(z(2, 5), conv_cache(K, (1, 3, 3, 1), (3, 3, 1, 2), 3)),
     ["cache must be the DenseCache that the matching forward returned", "got ConvCache"]),
    (lambda K: K.conv2d_backward(z(1, 1, 1, 2), dense_result(K, 2, 3, 5)[1]),
     ["cache must be the ConvCache", "got DenseCache"]),
    (lambda K: K.batchnorm_backward(z(4, 3), dense_result(K, 4, 2, 3)[1]),
     ["cache must be the BatchNormCache", "got DenseCache"]),
    (lambda K: K.dense_backward(z(2, 5), dense_result(K, 2, 3, 5)),
     ["cache must be the DenseCache", "got tuple", "the forward's second result"]),
    (lambda K: K.batchnorm_running_update(z(3), z(3), dense_result(K, 4, 2, 3)[1], 0.9),
     ["cache must be the BatchNormCache", "got DenseCache"]),
    (lambda K: K.relu_backward(z(2, 3), z(3, 2)), ["one shape", "(2, 3)", "(3, 2)"]),
    (lambda K: K.bce_with_logits_forward(z(4, 1), z(4)), ["one shape", "(4, 1)", "(4,)"]),
    (lambda K: K.adam_update(z(3), z(4), z(3), z(3), 1, AdamSpec()), ["one shape"]),
    (lambda K: K.adam_update(z(3), z(3), z(3), z(3), 0, AdamSpec()), ["step", "1-based"]),
    (lambda K: K.sgd_momentum_update(z(4, 4)[:, ::2], z(4, 2), z(4, 2)), ["param must be C-contiguous"]),
    (lambda K: K.batchnorm_forward(z(4, 3), z(4), z(4), BatchNormSpec()), ["gamma has shape (4,)", "(3,)"]),
    (lambda K: K.batchnorm_forward(z(1, 3), z(3), z(3), BatchNormSpec()), ["batch size 1", "at least 2"]),
    (lambda K: K.batchnorm_running_update(z(3), z(3), batchnorm_cache(K, 4, 3), 1.5), ["momentum must be in [0, 1]"]),
    (lambda K: K.batchnorm_backward(z(4, 2), batchnorm_cache(K, 4, 3)), ["one shape", "(4, 2)", "(4, 3)"]),
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
    assert_refused(lambda: call(BACKENDS[backend]()), words)


@pytest.mark.parametrize("make, words", [
    (lambda: ConvSpec(0, 0), ["ConvSpec", "stride must be >= 1"]),
    (lambda: ConvSpec(1, -1), ["ConvSpec", "padding must be >= 0"]),
    (lambda: ConvSpec(1, "full"), ["ConvSpec", "padding must be", "'full'"]),
    (lambda: ConvSpec((1, 2, 3), 0), ["ConvSpec", "stride must be an int or an (h, w) pair"]),
    (lambda: Activation("gelu"), ["activation must be one of", "'gelu'"]),
    (lambda: Activation("tanh"), ["activation must be one of", "'relu'"]),
    (lambda: Activation("leaky_relu", -0.5), ["alpha > 0", "alpha=-0.5"]),
    (lambda: Activation("leaky_relu", float("nan")), ["finite slope alpha > 0"]),
    (lambda: AdamSpec(lr=0.0), ["AdamSpec", "lr must be a finite number > 0", "0.0"]),
    (lambda: AdamSpec(lr=float("inf")), ["lr must be a finite number > 0", "inf"]),
    (lambda: AdamSpec(beta1=1.0), ["AdamSpec", "beta1 must be in [0, 1)", "1.0"]),
    (lambda: AdamSpec(beta2=-0.1), ["beta2 must be in [0, 1)", "-0.1"]),
    (lambda: AdamSpec(eps=0.0), ["AdamSpec", "eps must be a finite number > 0"]),
    (lambda: BatchNormSpec(eps=0.0), ["BatchNormSpec", "eps must be a finite number > 0", "0.0"]),
    (lambda: BatchNormSpec(eps=float("nan")), ["eps must be a finite number > 0", "nan"]),
    (lambda: BatchNormSpec(reduce="sum"), ["BatchNormSpec", "reduce must be None or a callable", "str"]),
])
def test_bad_specs_are_named(make, words):
    """A spec checks its options when it is made, once for every engine and every call."""
    assert_refused(make, words)


@pytest.mark.parametrize("call, name", [
    (lambda: K.dense_forward(z(2, 3, dtype=np.int64), z(3, 5), z(5), DenseSpec()), "x"),
    (lambda: K.conv2d_forward(z(1, 8, 8, 1), z(3, 3, 1, 1, dtype=np.float16), z(1), ConvSpec(1, 0)), "w"),
    (lambda: K.relu_forward(z(3, dtype=np.int32)), "x"),
    (lambda: K.bce_with_logits_backward(z(3, dtype=np.uint8), z(3)), "logits"),
])
def test_non_floating_dtype_is_named(call, name):
    with pytest.raises(ValueError, match=rf"{name} has dtype .* float32 or float64"):
        call()


def test_mixed_dtypes_are_refused():
    with pytest.raises(ValueError, match=r"one dtype.*x=float32.*w=float64"):
        K.dense_forward(z(2, 3), z(3, 5, dtype=np.float64), z(5), DenseSpec())
