"""The fast variants (used by default) equal the readable loop references."""

import numpy as np
import pytest

from kernels.conv_geometry import conv_geometry
from kernels.cpu import conv2d as C
from kernels.cpu import dense as D
from kernels.cpu.epilogue import RELU
import kernels.cpu as K
from cases import CONV_CASES, DENSE_CASES, case_id, conv_arrays, dense_arrays
from conftest import rel_err

TOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DENSE_CASES + [(32, 100, 128), (5, 512, 784)], ids=case_id)
def test_dense_fast_equals_reference(case, dtype):
    x, w, b = dense_arrays(case, dtype)
    dy = np.random.default_rng(1).standard_normal((x.shape[0], w.shape[1])).astype(dtype)
    y_fast, y_ref = D.dense_forward_fast(x, w, b), D.dense_forward_loops(x, w, b)
    assert y_fast.dtype == y_ref.dtype == dtype
    assert rel_err(y_fast, y_ref) < TOL[dtype]
    for fast, ref in zip(D.dense_backward_fast(dy, x, w), D.dense_backward_loops(dy, x, w)):
        assert fast.dtype == dtype and fast.shape == ref.shape
        assert rel_err(fast, ref) < TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES + [(4, 28, 28, 1, 16, (3, 3), 3, "valid")], ids=case_id)
def test_conv2d_fast_equals_reference(case, dtype):
    x, w, b, stride, padding = conv_arrays(case, dtype)
    g = conv_geometry("test", x.shape, w.shape, stride, padding)
    y_fast, cols = C.conv2d_forward_fast(x, w, b, g)
    y_ref = C.conv2d_forward_loops(x, w, b, g)
    assert y_fast.dtype == dtype and y_fast.shape == y_ref.shape
    assert rel_err(y_fast, y_ref) < TOL[dtype]
    dy = np.random.default_rng(1).standard_normal(y_ref.shape).astype(dtype)
    fast = C.conv2d_backward_fast(dy, x, w, g)
    ref = C.conv2d_backward_loops(dy, x, w, g)
    for name, f, r in zip(["dx", "dw", "db"], fast, ref):
        assert f.dtype == dtype and f.shape == r.shape, name
        assert rel_err(f, r) < TOL[dtype], name
    with_cols = C.conv2d_backward_fast(dy, x, w, g, cols=cols)  # the forward's im2col, reused
    assert all(np.array_equal(a, b) for a, b in zip(with_cols, fast))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigma_divides_as_if_the_kernel_were_w_over_sigma(dtype):
    """Given sigma, dense and conv act as the plain layer with kernel w / sigma (spectral norm's
    w_sn, never written out), and their dw is that layer's dw / sigma: dL/dw with sigma fixed."""
    sigma = dtype(1.7)
    x, w, b = dense_arrays((6, 9, 5), dtype)
    dy = np.random.default_rng(1).standard_normal((6, 5)).astype(dtype)
    y = D.dense_forward_fast(x, w, b, sigma=sigma)
    assert y.dtype == dtype and rel_err(y, D.dense_forward_loops(x, w / sigma, b)) < TOL[dtype]
    dx, dw, db = D.dense_backward_loops(dy, x, w / sigma)
    for name, f, r in zip(["dx", "dw", "db"], D.dense_backward_fast(dy, x, w, sigma=sigma), (dx, dw / sigma, db)):
        assert f.dtype == dtype and rel_err(f, r) < TOL[dtype], name
    x, w, b, stride, padding = conv_arrays(CONV_CASES[3], dtype)
    g = conv_geometry("test", x.shape, w.shape, stride, padding)
    y, cols = C.conv2d_forward_fast(x, w, b, g, RELU, 0.2, sigma)
    y_ref = np.maximum(C.conv2d_forward_loops(x, w / sigma, b, g), 0)
    assert rel_err(y, y_ref) < TOL[dtype]
    dy = np.random.default_rng(2).standard_normal(y.shape).astype(dtype)
    dx, dw, db = C.conv2d_backward_loops(dy * (y_ref > 0), x, w / sigma, g)
    fast = C.conv2d_backward_fast(dy, x, w, g, y, RELU, 0.2, sigma, cols=cols)
    for name, f, r in zip(["dx", "dw", "db"], fast, (dx, dw / sigma, db)):
        assert f.dtype == dtype and rel_err(f, r) < TOL[dtype], name


def test_patches_serial_and_threaded_builds_agree_and_the_work_picks_one():
    """im2col / col2im run _patches serially below PATCHES_PARALLEL_MIN (kernels/cpu/conv2d.py):
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


def test_skipped_gradients_are_none_and_the_rest_unchanged():
    import kernels.cpu as K

    x, w, b, stride, padding = conv_arrays(CONV_CASES[3], np.float64)
    dy = np.random.default_rng(1).standard_normal(K.conv2d_forward(x, w, b, stride, padding).shape)
    full = K.conv2d_backward(dy, x, w, stride, padding)
    no_dx = K.conv2d_backward(dy, x, w, stride, padding, input_grad=False)
    only_dx = K.conv2d_backward(dy, x, w, stride, padding, param_grads=False)
    assert no_dx[0] is None and only_dx[1] is None and only_dx[2] is None
    assert np.array_equal(no_dx[1], full[1]) and np.array_equal(only_dx[0], full[0])
    xd, wd, bd = dense_arrays((4, 5, 3), np.float64)
    dyd = np.ones((4, 3))
    full = K.dense_backward(dyd, xd, wd)
    assert K.dense_backward(dyd, xd, wd, input_grad=False)[0] is None
    assert np.array_equal(K.dense_backward(dyd, xd, wd, param_grads=False)[0], full[0])


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_activation_equals_reference_conv_then_activation(dtype, activation):
    """conv2d / dense with activation= (one epilogue pass) against the reference loops
    followed by the separate activation kernels, forward and backward."""
    import kernels.cpu as K

    act_fwd = getattr(K, f"{activation}_forward")
    act_bwd = getattr(K, f"{activation}_backward")
    x, w, b, stride, padding = conv_arrays((3, 8, 8, 2, 5, (3, 3), 3, "valid"), dtype)
    g = conv_geometry("test", x.shape, w.shape, stride, padding)
    pre = C.conv2d_forward_loops(x, w, b, g)
    y = K.conv2d_forward(x, w, b, stride, padding, activation, 0.2)
    assert rel_err(y, act_fwd(pre, 0.2) if activation == "leaky_relu" else act_fwd(pre)) < TOL[dtype]
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dpre = act_bwd(dy, pre, 0.2) if activation == "leaky_relu" else act_bwd(dy, pre)
    fused = K.conv2d_backward(dy, x, w, stride, padding, y=y, activation=activation, alpha=0.2)
    for name, f, r in zip(["dx", "dw", "db"], fused, C.conv2d_backward_loops(dpre, x, w, g)):
        assert f.dtype == dtype and rel_err(f, r) < TOL[dtype], name
    xd, wd, bd = dense_arrays((6, 7, 5), dtype)
    pre = D.dense_forward_loops(xd, wd, bd)
    yd = K.dense_forward(xd, wd, bd, activation, 0.2)
    assert rel_err(yd, act_fwd(pre, 0.2) if activation == "leaky_relu" else act_fwd(pre)) < TOL[dtype]
    dyd = np.ones_like(yd)
    dpre = act_bwd(dyd, pre, 0.2) if activation == "leaky_relu" else act_bwd(dyd, pre)
    for f, r in zip(K.dense_backward(dyd, xd, wd, y=yd, activation=activation, alpha=0.2),
                    D.dense_backward_loops(dpre, xd, wd)):
        assert rel_err(f, r) < TOL[dtype]


@pytest.mark.parametrize("s", [1.0, 0.37])
@pytest.mark.parametrize("activation", ["linear", "relu", "leaky_relu"])
def test_epilogue_serial_and_threaded_paths_agree_bit_for_bit(activation, s):
    """Both epilogue passes pick their build by size (kernels/cpu/epilogue.py); db is summed
    down the rows in order either way, so the bits must match, with and without a scale."""
    from kernels.cpu import epilogue as E

    rng = np.random.default_rng(0)
    R, F = E.PARALLEL_BACKWARD_MIN // 128 + 3, 128
    h, b = rng.standard_normal((R, F)).astype(np.float32), rng.standard_normal(F).astype(np.float32)
    act, s = E.activation_code("test", activation), np.float32(s)
    y_serial = h.copy()
    E._bias_activation_forward.serial(y_serial, b, act, 0.2, s)
    y = E.bias_activation_forward(h.copy(), b, act, 0.2, s)  # large: the threaded build
    assert np.array_equal(y, y_serial)
    dy = rng.standard_normal((R, F)).astype(np.float32)
    dh_big, db_big = E.activation_backward_and_bias_grad(dy, y, act, 0.2, s)  # threaded dpre + in-order sums
    dh_one, db_one = np.empty_like(dy), np.empty(F, np.float32)
    E._activation_backward_and_bias_grad(dy, y, act, 0.2, s, dh_one, db_one)  # the single serial pass
    if act == E.LINEAR and s == 1:
        assert dh_big is dy  # nothing to write: dy is passed on
        dh_one = dy
    assert np.array_equal(dh_big, dh_one) and np.array_equal(db_big, db_one)
    assert np.array_equal(dh_one, s * np.where((y > 0) | (act == E.LINEAR), dy, dy * (0.2 if act == E.LEAKY_RELU else 0)))
    assert rel_err(db_one, (dh_one / s).astype(np.float64).sum(axis=0)) < 1e-5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_spectral_norm_fast_equals_reference(dtype):
    from kernels.cpu import spectral_norm as sn

    rng = np.random.default_rng(9)
    M = rng.standard_normal((27, 8)).astype(dtype)
    u, v = rng.standard_normal(8).astype(dtype), rng.standard_normal(27).astype(dtype)
    u_ref, v_ref = u.copy(), v.copy()
    stepped = sn.spectral_norm_power_iteration_fast(M, u, v, dtype(1e-12))
    stepped_ref = sn.spectral_norm_power_iteration_reference(M, u_ref, v_ref, dtype(1e-12))
    assert rel_err(u, u_ref) < TOL[dtype] and rel_err(v, v_ref) < TOL[dtype]
    sigma = sn.spectral_norm_forward_fast(M, u, v, np.empty(27, dtype))
    sigma_ref = sn.spectral_norm_forward_reference(M, u, v)
    assert abs(sigma - sigma_ref) < TOL[dtype] * sigma_ref
    # the step's sigma, |M^T v|, is v^T M u for its new u, v
    assert abs(stepped - sigma_ref) < TOL[dtype] * sigma_ref and abs(stepped_ref - sigma_ref) < TOL[dtype] * sigma_ref
    dM, fast = rng.standard_normal(M.shape).astype(dtype), np.empty_like(M)
    sn.spectral_norm_backward_fast(dM, M, u, v, sigma, fast)
    assert fast.dtype == dtype and rel_err(fast, sn.spectral_norm_backward_reference(dM, M, u, v, sigma)) < TOL[dtype]


def test_power_iteration_finds_the_largest_singular_value():
    rng = np.random.default_rng(10)
    w = rng.standard_normal((3, 3, 4, 6))
    u, v = rng.standard_normal(6), rng.standard_normal(36)
    for _ in range(100):
        K.spectral_norm_power_iteration(w, u, v)
    sigma = K.spectral_norm_forward(w, u, v)
    assert abs(float(sigma) - np.linalg.svd(w.reshape(36, 6), compute_uv=False)[0]) < 1e-10
    assert abs(np.linalg.svd((w / sigma).reshape(36, 6), compute_uv=False)[0] - 1) < 1e-10
    with pytest.raises(ValueError, match="one entry per input of w"):
        K.spectral_norm_forward(w, u, v[:35])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_iteration_returns_the_forward_sigma_even_where_eps_clamps(dtype):
    """The step's sigma is v^T M u for the u, v it leaves, also where |M^T v| < eps and the
    step divides by eps instead (a kernel of entries ~1e-14: sigma = |M^T v|^2 / eps there,
    not |M^T v|), and 0 for M = 0."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((5, 3)).astype(dtype)
    for scale in (1, 1e-14, 0):
        u, v = rng.standard_normal(3).astype(dtype), rng.standard_normal(5).astype(dtype)
        M = (w * dtype(scale)).astype(dtype)
        sigma = K.spectral_norm_power_iteration(M, u, v)
        assert sigma.dtype == dtype
        forward = K.spectral_norm_forward(M, u, v)
        assert abs(sigma - forward) <= TOL[dtype] * abs(forward), scale  # both 0 for M = 0
