"""Every CPU kernel's backward against centred finite differences of its forward (float64),
in both CPU engines: the fast one (kernels.cpu) and the readable one (kernels.reference)."""

import numpy as np
import pytest

import kernels.cpu as K
from kernels.specs import Activation, BatchNormSpec, ConvSpec, DenseSpec
from minigan.gradcheck import check_gradients
from cases import CONV_CASES, DENSE_CASES, by_engine, case_id, conv_arrays, dense_arrays

TOL = 1e-7


def assert_report(report):
    assert report.worst < TOL, "\n" + report.table()


def check_layer(forward, backward, inputs, names, **kwargs):
    """check_gradients for a pass of the contract: forward(*inputs) -> (y, cache) and
    backward(dy, cache) -> one gradient per input. The backward runs its own forward, at the
    inputs it is given, for the cache."""
    return check_gradients(lambda *xs: forward(*xs)[0], lambda dy, *xs: backward(dy, forward(*xs)[1]), inputs, names,
                           **kwargs)


@by_engine
@pytest.mark.parametrize("case", DENSE_CASES, ids=case_id)
def test_dense_gradients(case, E):
    x, w, b = dense_arrays(case, np.float64)
    report = check_layer(lambda x, w, b: E.dense_forward(x, w, b, DenseSpec()), E.dense_backward,
                         [x, w, b], ["x", "w", "b"], label=f"dense {case}")
    assert_report(report)


@by_engine
@pytest.mark.parametrize("case", CONV_CASES, ids=case_id)
def test_conv2d_gradients(case, E):
    x, w, b, stride, padding = conv_arrays(case, np.float64)
    report = check_layer(lambda x, w, b: E.conv2d_forward(x, w, b, ConvSpec(stride, padding)), E.conv2d_backward,
                         [x, w, b], ["x", "w", "b"], label=f"conv2d {case}")
    assert_report(report)


def away_from_kink(shape, seed):
    """Inputs with |x| >= 0.1: a finite difference across relu's kink at 0 is meaningless."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return x


@by_engine
@pytest.mark.parametrize("shape", [(1,), (3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_activation_gradients(name, shape, E):
    fwd = getattr(E, f"{name}_forward")
    bwd = getattr(E, f"{name}_backward")
    x = away_from_kink(shape, seed=len(shape))
    if name in ("relu", "leaky_relu"):  # backward takes the forward's input
        backward = lambda dy, x: (bwd(dy, x),)
    else:  # backward takes the forward's output
        backward = lambda dy, x: (bwd(dy, fwd(x)),)
    assert_report(check_gradients(fwd, backward, [x], ["x"], label=name))


@by_engine
def test_leaky_relu_gradient_uses_alpha(E):
    x = away_from_kink((4, 5), seed=3)
    report = check_gradients(lambda x: E.leaky_relu_forward(x, 0.05),
                             lambda dy, x: (E.leaky_relu_backward(dy, x, 0.05),), [x], ["x"])
    assert_report(report)


@pytest.mark.parametrize("shape", [(1, 1), (7, 1), (32, 1), (4, 3)])
def test_bce_with_logits_gradient(shape):
    rng = np.random.default_rng(5)
    z = rng.standard_normal(shape) * 3
    t = rng.uniform(0, 1, size=shape)  # soft targets too (label smoothing)
    report = check_gradients(lambda z: K.bce_with_logits_forward(z, t),
                             lambda dy, z: (dy * K.bce_with_logits_backward(z, t),), [z], ["logits"])
    assert_report(report)


def test_gradcheck_catches_a_wrong_backward():
    """The check can fail: a backward that returns dW transposed is caught, dx and db pass."""
    x, w, b = dense_arrays((4, 3, 3), np.float64, seed=7)  # not gradcheck's dy seed: dy = x would make dW symmetric

    def wrong_backward(dy, cache):
        dx, dw, db = K.dense_backward(dy, cache)
        return dx, dw.T.copy(), db

    report = check_layer(lambda x, w, b: K.dense_forward(x, w, b, DenseSpec()), wrong_backward,
                         [x, w, b], ["x", "w", "b"])
    assert report.worst > 1e-2
    assert report.results[0].rel_error < TOL and report.results[2].rel_error < TOL


@by_engine
@pytest.mark.parametrize("shape", [(2, 1), (5, 3), (32, 7)])
def test_batchnorm_gradients(shape, E):
    rng = np.random.default_rng(shape[0])
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    report = check_layer(lambda x, g, b: E.batchnorm_forward(x, g, b, BatchNormSpec()), E.batchnorm_backward,
                         [x, gamma, beta], ["x", "gamma", "beta"], h=1e-5, label=f"batchnorm {shape}")
    assert_report(report)


@by_engine
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_batchnorm_with_activation_gradients(activation, E):
    """gamma * xhat + beta kept at least 0.4 from the kink: |gamma * xhat| < 1 for these 6 rows,
    beta = +-1.4, one sign per feature, so both slopes are crossed."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4)) * 2 + 1
    gamma, beta = np.full(4, 0.4), np.array([1.4, -1.4, 1.4, -1.4])
    assert np.abs(E.batchnorm_forward(x, gamma, np.zeros(4), BatchNormSpec())[0]).max() < 1
    spec = BatchNormSpec(activation=Activation(activation, 0.1))
    report = check_layer(lambda x, g, b: E.batchnorm_forward(x, g, b, spec), E.batchnorm_backward,
                         [x, gamma, beta], ["x", "gamma", "beta"], h=1e-5, label=f"batchnorm+{activation}")
    assert_report(report)


@by_engine
def test_batchnorm_inference_gradient_is_the_affine_map(E):
    rng = np.random.default_rng(0)
    x, g, b = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    y = E.batchnorm_inference(x, g, b, mean, var, BatchNormSpec(1e-3))
    assert np.allclose(y, g * (x - mean) / np.sqrt(var + 1e-3) + b, rtol=1e-12)


def test_dropout_gradient():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 6))
    key = 987654321  # one mask for every evaluation: dropout is linear in x for a fixed key
    assert 0 < (K.dropout_forward(np.ones_like(x), 0.3, key) == 0).sum() < x.size
    report = check_gradients(lambda x: K.dropout_forward(x, 0.3, key),
                             lambda dy, x: (K.dropout_backward(dy, 0.3, key),), [x], ["x"])
    assert_report(report)


@pytest.mark.parametrize("group, shape", [(4, (8, 3)), (2, (6, 5)), (4, (64, 7))])
def test_minibatch_stddev_gradients(group, shape):
    """dh through the appended statistic: every sample of a group reaches every other's output."""
    h = np.random.default_rng(shape[0]).standard_normal(shape)
    report = check_gradients(lambda h: K.minibatch_stddev_forward(h, group),
                             lambda dy, h: (K.minibatch_stddev_backward(dy, h, group),), [h], ["h"],
                             label=f"minibatch stddev {shape} / {group}")
    assert_report(report)


@pytest.mark.parametrize("shape", [(1, 2), (6, 10), (32, 10)])
def test_softmax_cross_entropy_gradient(shape):
    rng = np.random.default_rng(shape[0])
    z = rng.standard_normal(shape) * 3
    y = rng.integers(0, shape[1], shape[0])
    report = check_gradients(lambda z: K.softmax_cross_entropy_forward(z, y),
                             lambda dy, z: (dy * K.softmax_cross_entropy_backward(z, y),), [z], ["logits"])
    assert_report(report)


def biases_away_from_kink(h):
    """Per-channel biases that put every pre-activation h + b at least 1 away from 0: channel
    f gets sign (-1)^f, so both sides of the activation (slope 1 and slope 0 or alpha) are
    checked, and no finite difference steps across the kink."""
    F = h.shape[-1]
    reach = np.abs(h.reshape(-1, F)).max(axis=0) + 1.0
    return reach * np.where(np.arange(F) % 2 == 0, 1.0, -1.0)


@by_engine
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("case", CONV_CASES[:9], ids=case_id)
def test_conv2d_with_activation_gradients(case, activation, E):
    x, w, _, stride, padding = conv_arrays(case, np.float64)
    b = biases_away_from_kink(E.conv2d_forward(x, w, np.zeros(w.shape[3]), ConvSpec(stride, padding))[0])
    spec = ConvSpec(stride, padding, Activation(activation, 0.1))
    report = check_layer(lambda x, w, b: E.conv2d_forward(x, w, b, spec), E.conv2d_backward,
                         [x, w, b], ["x", "w", "b"], label=f"conv2d+{activation} {case}")
    assert_report(report)


@by_engine
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("case", DENSE_CASES, ids=case_id)
def test_dense_with_activation_gradients(case, activation, E):
    x, w, _ = dense_arrays(case, np.float64)
    b = biases_away_from_kink(x @ w)
    spec = DenseSpec(Activation(activation, 0.1))
    report = check_layer(lambda x, w, b: E.dense_forward(x, w, b, spec), E.dense_backward,
                         [x, w, b], ["x", "w", "b"], label=f"dense+{activation} {case}")
    assert_report(report)


@by_engine
@pytest.mark.parametrize("shape", [(6, 4), (3, 3, 2, 5)])
def test_spectral_norm_gradient_with_u_and_v_fixed(shape, E):
    """dL/dx and dL/dw of a layer that multiplies by w / sigma(w), sigma = v^T M u, with u and v
    held constant (as the paper and the trainer do: one power-iteration step per training step,
    outside the forward): the dense or conv kernel given sigma (its dw holds sigma fixed), then
    spectral_norm_backward (sigma's own dependence on w)."""
    rng = np.random.default_rng(len(shape))
    w = rng.standard_normal(shape)
    u, v = rng.standard_normal(shape[-1]), rng.standard_normal(w.size // shape[-1])
    for _ in range(3):
        E.spectral_norm_power_iteration(w, u, v)
    u0, v0, b = u.copy(), v.copy(), rng.standard_normal(shape[-1])
    leaky = Activation("leaky_relu", 0.1)
    if len(shape) == 2:
        x = rng.standard_normal((3, shape[0]))
        layer = lambda x, w, sigma: E.dense_forward(x, w, b, DenseSpec(leaky), sigma=sigma)
        layer_grads = E.dense_backward
    else:
        x = rng.standard_normal((2, 5, 5, shape[2]))
        layer = lambda x, w, sigma: E.conv2d_forward(x, w, b, ConvSpec(1, "valid", leaky), sigma=sigma)
        layer_grads = E.conv2d_backward

    def forward(x, w):
        return layer(x, w, E.spectral_norm_forward(w, u0, v0))[0]

    def backward(dy, x, w):
        sigma = E.spectral_norm_forward(w, u0, v0)
        dx, dw, _ = layer_grads(dy, layer(x, w, sigma)[1])
        return dx, E.spectral_norm_backward(dw, w, u0, v0, sigma)

    assert_report(check_gradients(forward, backward, [x, w], ["x", "w"], label=f"spectral norm {shape}"))
