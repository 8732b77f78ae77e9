"""The fast variants (used by default) equal the readable loop references."""

import numpy as np
import pytest

from kernels.checks import conv_geometry
from kernels.cpu import conv2d as C
from kernels.cpu import dense as D
from cases import CONV_CASES, DENSE_CASES, case_id, conv_arrays, dense_arrays
from conftest import rel_err

TOL = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DENSE_CASES + [(32, 100, 128), (5, 512, 784)], ids=case_id)
def test_dense_fast_equals_reference(case, dtype):
    x, w, b = dense_arrays(case, dtype)
    dy = np.random.default_rng(1).standard_normal((x.shape[0], w.shape[1])).astype(dtype)
    y_fast, y_ref = D.dense_forward_fast(x, w, b), D.dense_forward_reference(x, w, b)
    assert y_fast.dtype == y_ref.dtype == dtype
    assert rel_err(y_fast, y_ref) < TOL[dtype]
    for fast, ref in zip(D.dense_backward_fast(dy, x, w), D.dense_backward_reference(dy, x, w)):
        assert fast.dtype == dtype and fast.shape == ref.shape
        assert rel_err(fast, ref) < TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES + [(4, 28, 28, 1, 16, (3, 3), 3, "valid")], ids=case_id)
def test_conv2d_fast_equals_reference(case, dtype):
    x, w, b, stride, padding = conv_arrays(case, dtype)
    sh, sw, pt, _, pl, _, Ho, Wo = conv_geometry("test", x.shape, w.shape, stride, padding)
    y_fast, cols = C.conv2d_forward_fast(x, w, b, sh, sw, pt, pl, Ho, Wo)
    y_ref = C.conv2d_forward_reference(x, w, b, sh, sw, pt, pl, Ho, Wo)
    assert y_fast.dtype == dtype and y_fast.shape == y_ref.shape
    assert rel_err(y_fast, y_ref) < TOL[dtype]
    dy = np.random.default_rng(1).standard_normal(y_ref.shape).astype(dtype)
    fast = C.conv2d_backward_fast(dy, x, w, sh, sw, pt, pl)
    ref = C.conv2d_backward_reference(dy, x, w, sh, sw, pt, pl)
    for name, f, r in zip(["dx", "dw", "db"], fast, ref):
        assert f.dtype == dtype and f.shape == r.shape, name
        assert rel_err(f, r) < TOL[dtype], name
    with_cols = C.conv2d_backward_fast(dy, x, w, sh, sw, pt, pl, cols=cols)  # the forward's im2col, reused
    assert all(np.array_equal(a, b) for a, b in zip(with_cols, fast))


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
    sh, sw, pt, _, pl, _, Ho, Wo = conv_geometry("test", x.shape, w.shape, stride, padding)
    pre = C.conv2d_forward_reference(x, w, b, sh, sw, pt, pl, Ho, Wo)
    y = K.conv2d_forward(x, w, b, stride, padding, activation, 0.2)
    assert rel_err(y, act_fwd(pre, 0.2) if activation == "leaky_relu" else act_fwd(pre)) < TOL[dtype]
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
    dpre = act_bwd(dy, pre, 0.2) if activation == "leaky_relu" else act_bwd(dy, pre)
    fused = K.conv2d_backward(dy, x, w, stride, padding, y=y, activation=activation, alpha=0.2)
    for name, f, r in zip(["dx", "dw", "db"], fused, C.conv2d_backward_reference(dpre, x, w, sh, sw, pt, pl)):
        assert f.dtype == dtype and rel_err(f, r) < TOL[dtype], name
    xd, wd, bd = dense_arrays((6, 7, 5), dtype)
    pre = D.dense_forward_reference(xd, wd, bd)
    yd = K.dense_forward(xd, wd, bd, activation, 0.2)
    assert rel_err(yd, act_fwd(pre, 0.2) if activation == "leaky_relu" else act_fwd(pre)) < TOL[dtype]
    dyd = np.ones_like(yd)
    dpre = act_bwd(dyd, pre, 0.2) if activation == "leaky_relu" else act_bwd(dyd, pre)
    for f, r in zip(K.dense_backward(dyd, xd, wd, y=yd, activation=activation, alpha=0.2),
                    D.dense_backward_reference(dpre, xd, wd)):
        assert rel_err(f, r) < TOL[dtype]


@pytest.mark.parametrize("activation", ["linear", "relu", "leaky_relu"])
def test_epilogue_serial_and_threaded_paths_agree_bit_for_bit(activation):
    """Both epilogue passes pick their build by size (kernels/cpu/epilogue.py); db is summed
    down the rows in order either way, so the bits must match."""
    from kernels.cpu import epilogue as E

    rng = np.random.default_rng(0)
    R, F = E.PARALLEL_BACKWARD_MIN // 128 + 3, 128
    h, b = rng.standard_normal((R, F)).astype(np.float32), rng.standard_normal(F).astype(np.float32)
    act = E.activation_code("test", activation)
    y_serial = h.copy()
    E._bias_activation_forward.serial(y_serial, b, act, 0.2)
    y = E.bias_activation_forward(h.copy(), b, act, 0.2)  # large: the threaded build
    assert np.array_equal(y, y_serial)
    dy = rng.standard_normal((R, F)).astype(np.float32)
    dpre_big, db_big = E.activation_backward_and_bias_grad(dy, y, act, 0.2)  # threaded dpre + in-order sums
    dpre_one = np.empty_like(dy)
    db_one = E._activation_backward_and_bias_grad(dy, y, act, 0.2, dpre_one)  # the single serial pass
    if act == E.LINEAR:
        dpre_one = dy
    assert np.array_equal(dpre_big, dpre_one) and np.array_equal(db_big, db_one)
    assert rel_err(db_one, dpre_one.astype(np.float64).sum(axis=0)) < 1e-5
