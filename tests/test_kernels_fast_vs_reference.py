"""The fast engine (kernels.cpu, used by default) equals the readable one (kernels.reference),
call for call through the contract, and the fast engine's inner builds agree with each other."""

import numpy as np
import pytest

import kernels.cpu as K
import kernels.reference as REF
from kernels.conv_geometry import conv_geometry
from kernels.cpu import im2col as C
from kernels.reference import conv2d as conv_loops
from kernels.reference import dense as dense_loops
from kernels.specs import Activation, ConvSpec, DenseSpec
from cases import CONV_CASES, DENSE_CASES, by_engine, case_id, conv_arrays, dense_arrays
from conftest import rel_err

TOL = {np.float32: 1e-5, np.float64: 1e-12}
ACTIVATIONS = ["linear", "relu", "leaky_relu"]


def upstream(y):
    """The dy a backward here is handed for the output y: drawn from a fixed seed, so every
    engine gets the same one."""
    return np.random.default_rng(1).standard_normal(y.shape).astype(y.dtype)


def layer_passes(E, layer, x, w, b, spec, sigma=None, **skips):
    """(y, dx, dw, db) from engine E's dense or conv2d forward and its backward over the cache,
    given upstream(y). skips: input_grad= or param_grads= for the backward."""
    y, cache = getattr(E, f"{layer}_forward")(x, w, b, spec, sigma=sigma)
    return (y,) + getattr(E, f"{layer}_backward")(upstream(y), cache, **skips)


def assert_engines_agree(layer, x, w, b, spec, sigma=None):
    """The fast engine's y, dx, dw and db are the readable engine's, in the inputs' dtype."""
    dtype = x.dtype.type
    fast, ref = (layer_passes(E, layer, x, w, b, spec, sigma) for E in (K, REF))
    for name, f, r in zip(["y", "dx", "dw", "db"], fast, ref):
        assert f.dtype == r.dtype == dtype and f.shape == r.shape, name
        assert rel_err(f, r) < TOL[dtype], name


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DENSE_CASES + [(32, 100, 128), (5, 512, 784)], ids=case_id)
def test_dense_fast_equals_reference(case, dtype, activation):
    """The fast engine applies the activation in the pass that adds the bias and reads its slope
    off y; the readable one runs the plain loops, then the activation's own forward and backward."""
    x, w, b = dense_arrays(case, dtype)
    assert_engines_agree("dense", x, w, b, DenseSpec(Activation(activation, 0.2)))


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES + [(4, 28, 28, 1, 16, (3, 3), 3, "valid")], ids=case_id)
def test_conv2d_fast_equals_reference(case, dtype, activation):
    """Every geometry of tests/cases.py: stride above, below and equal to the kernel, padding as
    an int, a pair, 'same' and 'valid', windows that tile the input or are the input itself."""
    x, w, b, stride, padding = conv_arrays(case, dtype)
    assert_engines_agree("conv2d", x, w, b, ConvSpec(stride, padding, Activation(activation, 0.2)))


def assert_plain_layer_over_sigma(got, y, grads, sigma):
    """got, a layer's (y, dx, dw, db) given sigma, is the plain layer's y and grads (dx, dw_sn, db)
    with kernel w / sigma, but for dw = dw_sn / sigma."""
    dtype = got[0].dtype.type
    dx, dw_sn, db = grads
    for name, f, r in zip(["y", "dx", "dw", "db"], got, (y, dx, dw_sn / sigma, db)):
        assert f.dtype == dtype and rel_err(f, r) < TOL[dtype], name


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigma_divides_as_if_the_kernel_were_w_over_sigma(dtype, E):
    """Given sigma, dense and conv act as the plain layer with kernel w / sigma (spectral norm's
    w_sn, which the fast engine never writes out), and their dw is that layer's dw / sigma:
    dL/dw with sigma fixed. The plain layer is the lab's loops (kernels/reference/*.py), so the
    two engines agree given sigma too."""
    sigma = dtype(1.7)
    x, w, b = dense_arrays((6, 9, 5), dtype)
    got = layer_passes(E, "dense", x, w, b, DenseSpec(), sigma)
    assert_plain_layer_over_sigma(got, dense_loops.dense_forward(x, w / sigma, b),
                                  dense_loops.dense_backward(upstream(got[0]), x, w / sigma), sigma)
    x, w, b, stride, padding = conv_arrays(CONV_CASES[3], dtype)
    got = layer_passes(E, "conv2d", x, w, b, ConvSpec(stride, padding, Activation("relu")), sigma)
    y = np.maximum(conv_loops.conv2d_forward(x, w / sigma, b, stride, padding), 0)
    assert_plain_layer_over_sigma(got, y, conv_loops.conv2d_backward(upstream(got[0]) * (y > 0), x, w / sigma, stride,
                                                                     padding), sigma)


@by_engine
@pytest.mark.parametrize("activation", ["linear", "leaky_relu"])
def test_skipped_gradients_are_none_and_the_rest_unchanged(activation, E):
    act = Activation(activation, 0.2)
    x, w, b, stride, padding = conv_arrays(CONV_CASES[3], np.float64)
    xd, wd, bd = dense_arrays((4, 5, 3), np.float64)
    for layer, arrays, spec in (("conv2d", (x, w, b), ConvSpec(stride, padding, act)),
                                ("dense", (xd, wd, bd), DenseSpec(act))):
        full = layer_passes(E, layer, *arrays, spec)[1:]
        no_dx = layer_passes(E, layer, *arrays, spec, input_grad=False)[1:]
        only_dx = layer_passes(E, layer, *arrays, spec, param_grads=False)[1:]
        assert no_dx[0] is None and only_dx[1] is None and only_dx[2] is None, layer
        assert all(np.array_equal(skipped, kept) for skipped, kept in zip(no_dx[1:], full[1:])), layer
        assert np.array_equal(only_dx[0], full[0]), layer


def test_patches_serial_and_threaded_builds_agree_and_the_work_picks_one():
    """im2col / col2im run _patches serially below PATCHES_PARALLEL_MIN (kernels/cpu/im2col.py):
    both builds give the same bits, and D's conv2 picks serial at batch 32, threads at 256."""
    rng = np.random.default_rng(4)
    for shape, stride, mode in (((3, 7, 7, 2), 2, C.SCATTER_ADD), ((2, 9, 9, 4), 3, C.SCATTER_SET)):
        g = conv_geometry("test", shape, (3, 3, shape[3], 5), stride, "valid")
        x = rng.standard_normal(shape).astype(np.float32)
        cols = [np.zeros((shape[0] * g.Ho * g.Wo, 9 * shape[3]), np.float32) for _ in range(2)]
        C._patches.serial(x, cols[0], g, C.GATHER)
        C._patches.parallel(x, cols[1], g, C.GATHER)
        assert np.array_equal(cols[0], cols[1]) and cols[0].any()
        dx = [np.zeros(shape, np.float32) for _ in range(2)]
        C._patches.serial(dx[0], cols[0], g, mode)
        C._patches.parallel(dx[1], cols[0], g, mode)
        assert np.array_equal(dx[0], dx[1]) and dx[0].any()
    for batch, threaded in ((64, False), (512, True)):  # D's conv2 in the D step, batch 32 and 256
        g = conv_geometry("test", (batch, 9, 9, 128), (3, 3, 128, 256), 3, "valid")
        work = C.patches_work(np.empty((batch, 9, 9, 128), np.float32), None, g, C.GATHER)
        assert (work >= C.PATCHES_PARALLEL_MIN) == threaded


@pytest.mark.parametrize("s", [1.0, 0.37])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_epilogue_serial_and_threaded_paths_agree_bit_for_bit(activation, s):
    """Both epilogue passes pick their build by size (kernels/cpu/epilogue.py); db is summed
    down the rows in order either way, so the bits must match, with and without a scale."""
    from kernels.cpu import epilogue as E

    rng = np.random.default_rng(0)
    R, F = E.PARALLEL_BACKWARD_MIN // 128 + 3, 128
    h, b = rng.standard_normal((R, F)).astype(np.float32), rng.standard_normal(F).astype(np.float32)
    spec_act, s = Activation(activation, 0.2), np.float32(s)
    act, alpha = E.activation_code(spec_act)
    y_serial = h.copy()
    E._bias_activation_forward.serial(y_serial, b, act, alpha, s)
    y = E.bias_activation_forward(h.copy(), b, spec_act, s)  # large: the threaded build
    assert np.array_equal(y, y_serial)
    dy = rng.standard_normal((R, F)).astype(np.float32)
    dh_big, db_big = E.activation_backward_and_bias_grad(dy, y, spec_act, s)  # threaded dpre + in-order sums
    dh_one, db_one = np.empty_like(dy), np.empty(F, np.float32)
    E._activation_backward_and_bias_grad(dy, y, act, alpha, s, dh_one, db_one)  # the single serial pass
    if act == E.LINEAR and s == 1:
        assert dh_big is dy  # nothing to write: dy is passed on
        dh_one = dy
    assert np.array_equal(dh_big, dh_one) and np.array_equal(db_big, db_one)
    assert np.array_equal(dh_one, s * np.where((y > 0) | (act == E.LINEAR), dy, dy * (0.2 if act == E.LEAKY_RELU else 0)))
    assert rel_err(db_one, (dh_one / s).astype(np.float64).sum(axis=0)) < 1e-5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(27, 8), (3, 3, 3, 8), (3, 3, 64, 128)])
def test_spectral_norm_fast_equals_reference(shape, dtype):
    """A dense kernel and conv kernels (read as their (I, O) matrix; the last one large enough
    for the threaded passes): the power-iteration step, sigma and sigma's backward, the fast
    engine's against the readable engine's."""
    rng = np.random.default_rng(9)
    w = rng.standard_normal(shape).astype(dtype)
    n_out = shape[-1]
    u, v = rng.standard_normal(n_out).astype(dtype), rng.standard_normal(w.size // n_out).astype(dtype)
    u_ref, v_ref = u.copy(), v.copy()
    stepped = K.spectral_norm_power_iteration(w, u, v)
    stepped_ref = REF.spectral_norm_power_iteration(w, u_ref, v_ref)
    assert rel_err(u, u_ref) < TOL[dtype] and rel_err(v, v_ref) < TOL[dtype]
    sigma = K.spectral_norm_forward(w, u, v)
    sigma_ref = REF.spectral_norm_forward(w, u, v)
    assert sigma.dtype == sigma_ref.dtype == dtype and abs(sigma - sigma_ref) < TOL[dtype] * sigma_ref
    # the step's sigma, |M^T v|, is v^T M u for its new u, v
    assert abs(stepped - sigma_ref) < TOL[dtype] * sigma_ref and abs(stepped_ref - sigma_ref) < TOL[dtype] * sigma_ref
    dw = rng.standard_normal(shape).astype(dtype)
    fast = K.spectral_norm_backward(dw, w, u, v, sigma)
    assert fast.dtype == dtype and fast.shape == shape
    assert rel_err(fast, REF.spectral_norm_backward(dw, w, u, v, sigma)) < TOL[dtype]


@by_engine
def test_power_iteration_finds_the_largest_singular_value(E):
    rng = np.random.default_rng(10)
    w = rng.standard_normal((3, 3, 4, 6))
    u, v = rng.standard_normal(6), rng.standard_normal(36)
    for _ in range(100):
        E.spectral_norm_power_iteration(w, u, v)
    sigma = E.spectral_norm_forward(w, u, v)
    assert abs(float(sigma) - np.linalg.svd(w.reshape(36, 6), compute_uv=False)[0]) < 1e-10
    assert abs(np.linalg.svd((w / sigma).reshape(36, 6), compute_uv=False)[0] - 1) < 1e-10
    with pytest.raises(ValueError, match="one entry per input of w"):
        E.spectral_norm_forward(w, u, v[:35])


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_iteration_returns_the_forward_sigma_even_where_eps_clamps(dtype, E):
    """The step's sigma is v^T M u for the u, v it leaves, also where |M^T v| < eps and the
    step divides by eps instead (a kernel of entries ~1e-14: sigma = |M^T v|^2 / eps there,
    not |M^T v|), and 0 for M = 0."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((5, 3)).astype(dtype)
    for scale in (1, 1e-14, 0):
        u, v = rng.standard_normal(3).astype(dtype), rng.standard_normal(5).astype(dtype)
        M = (w * dtype(scale)).astype(dtype)
        sigma = E.spectral_norm_power_iteration(M, u, v)
        assert sigma.dtype == dtype
        forward = E.spectral_norm_forward(M, u, v)
        assert abs(sigma - forward) <= TOL[dtype] * abs(forward), scale  # both 0 for M = 0
