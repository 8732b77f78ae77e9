"""Dense and conv2d forward/backward against PyTorch autograd on randomised shapes.

torch is a test dependency: if it is missing this module fails (it does not skip)."""

import numpy as np
import pytest

# the kernels before torch: importing them sets OpenMP's idle policy, which torch's runtime
# would otherwise fix first (kernels/openmp_idle.py)
from kernels.conv_geometry import conv_geometry
from kernels.specs import BatchNormSpec, ConvSpec, DenseSpec
from cases import CONV_CASES, DENSE_CASES, by_engine, case_id, conv_arrays, dense_arrays
from conftest import rel_err

import torch
import torch.nn.functional as F

TOL = {np.float32: 1e-5, np.float64: 1e-10}


def torch_grads(fn, *arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*ts)
    return y, ts


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DENSE_CASES + [(32, 100, 128), (32, 512, 784)], ids=case_id)
def test_dense_matches_torch(case, dtype, E):
    x, w, b = dense_arrays(case, dtype)
    dy = np.random.default_rng(2).standard_normal((x.shape[0], w.shape[1])).astype(dtype)
    y_t, (xt, wt, bt) = torch_grads(lambda x, w, b: x @ w + b, x, w, b)
    y_t.backward(torch.tensor(dy))
    y, cache = E.dense_forward(x, w, b, DenseSpec())
    dx, dw, db = E.dense_backward(dy, cache)
    for name, mine, ref in [("y", y, y_t.detach()), ("dx", dx, xt.grad), ("dw", dw, wt.grad), ("db", db, bt.grad)]:
        assert mine.dtype == dtype
        assert rel_err(mine, ref.numpy()) < TOL[dtype], name


def torch_conv(x, w, b, stride, padding):
    """NHWC / (KH, KW, C, F) in, NHWC out, with any (possibly asymmetric) zero padding."""
    g = conv_geometry("torch", tuple(x.shape), tuple(w.shape), stride, padding)
    sh, sw, pt, pb, pl, pr = g.sh, g.sw, g.pt, g.pb, g.pl, g.pr
    xn = F.pad(x.permute(0, 3, 1, 2).contiguous(), (pl, pr, pt, pb))
    y = F.conv2d(xn, w.permute(3, 2, 0, 1).contiguous(), b, stride=(sh, sw))
    return y.permute(0, 2, 3, 1)


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CONV_CASES + [(4, 28, 28, 1, 16, (3, 3), 3, "valid"),
                                              (2, 9, 9, 16, 8, (3, 3), 3, "valid")], ids=case_id)
def test_conv2d_matches_torch(case, dtype, E):
    x, w, b, stride, padding = conv_arrays(case, dtype)
    y_t, (xt, wt, bt) = torch_grads(lambda x, w, b: torch_conv(x, w, b, stride, padding), x, w, b)
    dy = np.random.default_rng(2).standard_normal(tuple(y_t.shape)).astype(dtype)
    y_t.backward(torch.tensor(dy))
    y, cache = E.conv2d_forward(x, w, b, ConvSpec(stride, padding))
    dx, dw, db = E.conv2d_backward(dy, cache)
    for name, mine, ref in [("y", y, y_t.detach()), ("dx", dx, xt.grad), ("dw", dw, wt.grad), ("db", db, bt.grad)]:
        assert mine.dtype == dtype and mine.shape == tuple(ref.shape), name
        assert rel_err(mine, ref.numpy()) < TOL[dtype], name


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_and_loss_match_torch(dtype, E):
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((6, 7)) * 4).astype(dtype)
    dy = rng.standard_normal((6, 7)).astype(dtype)
    pairs = [
        ("relu", E.relu_forward(x), E.relu_backward(dy, x), torch.relu),
        ("leaky_relu", E.leaky_relu_forward(x, 0.2), E.leaky_relu_backward(dy, x, 0.2),
         lambda t: F.leaky_relu(t, 0.2)),
        ("tanh", E.tanh_forward(x), E.tanh_backward(dy, E.tanh_forward(x)), torch.tanh),
        ("sigmoid", E.sigmoid_forward(x), E.sigmoid_backward(dy, E.sigmoid_forward(x)), torch.sigmoid),
    ]
    for name, y, dx, fn in pairs:
        xt = torch.tensor(x, requires_grad=True)
        yt = fn(xt)
        yt.backward(torch.tensor(dy))
        assert rel_err(y, yt.detach().numpy()) < TOL[dtype], name
        assert rel_err(dx, xt.grad.numpy()) < TOL[dtype], name
    z = (rng.standard_normal((32, 1)) * 5).astype(dtype)
    t = rng.integers(0, 2, size=(32, 1)).astype(dtype)
    zt = torch.tensor(z, requires_grad=True)
    lt = F.binary_cross_entropy_with_logits(zt, torch.tensor(t))
    lt.backward()
    assert rel_err(E.bce_with_logits_forward(z, t), lt.item()) < TOL[dtype]
    assert rel_err(E.bce_with_logits_backward(z, t), zt.grad.numpy()) < TOL[dtype]


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batchnorm_matches_torch(dtype, E):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((32, 12)) * 3 + 2).astype(dtype)
    gamma, beta = rng.standard_normal(12).astype(dtype), rng.standard_normal(12).astype(dtype)
    dy = rng.standard_normal((32, 12)).astype(dtype)
    y, cache = E.batchnorm_forward(x, gamma, beta, BatchNormSpec(1e-3))
    dx, dgamma, dbeta = E.batchnorm_backward(dy, cache)
    ts = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    yt = F.batch_norm(ts[0], None, None, ts[1], ts[2], training=True, eps=1e-3)
    yt.backward(torch.tensor(dy))
    assert rel_err(y, yt.detach().numpy()) < TOL[dtype]
    moving_mean, moving_var = np.zeros(12, dtype), np.ones(12, dtype)
    E.batchnorm_running_update(moving_mean, moving_var, cache, 0.0)  # momentum 0: the batch's own statistics
    assert rel_err(moving_mean, x.astype(np.float64).mean(0)) < TOL[dtype]
    assert rel_err(moving_var, x.astype(np.float64).var(0)) < TOL[dtype]  # biased, as torch's batch_norm
    for name, mine, t in zip(["dx", "dgamma", "dbeta"], [dx, dgamma, dbeta], ts):
        assert rel_err(mine, t.grad.numpy()) < TOL[dtype], name


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_matches_torch(dtype, E):
    rng = np.random.default_rng(6)
    z = (rng.standard_normal((16, 10)) * 5).astype(dtype)
    y = rng.integers(0, 10, 16)
    zt = torch.tensor(z, requires_grad=True)
    lt = F.cross_entropy(zt, torch.tensor(y))
    lt.backward()
    assert rel_err(E.softmax_cross_entropy_forward(z, y), lt.item()) < TOL[dtype]
    assert rel_err(E.softmax_cross_entropy_backward(z, y), zt.grad.numpy()) < TOL[dtype]
