"""Adam and SGD-momentum updates against the paper's formula and torch.optim."""

import numpy as np
import pytest

# the kernels before torch: importing them sets OpenMP's idle policy, which torch's runtime
# would otherwise fix first (kernels/openmp_idle.py)
import kernels.cpu as K
from kernels.specs import AdamSpec
from cases import by_engine
from conftest import rel_err

import torch

TOL = {np.float32: 1e-5, np.float64: 1e-12}


def adam_paper(p, grads, lr, b1, b2, eps):
    """Kingma & Ba, Algorithm 1, literally, in float64."""
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_matches_paper_and_torch(dtype, E):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((4, 3)).astype(dtype)
    grads = [rng.standard_normal((4, 3)).astype(dtype) for _ in range(7)]
    lr, b1, b2, eps = 2e-4, 0.5, 0.999, 1e-8
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        E.adam_update(p, g, m, v, t, AdamSpec(lr, b1, b2, eps))
    expected = adam_paper(p0.astype(np.float64), [g.astype(np.float64) for g in grads], lr, b1, b2, eps)
    assert p.dtype == dtype
    # compare the total update (~1e-3 here); in float32, p - p0 keeps only ~3 digits of it
    assert rel_err(p - p0, expected - p0) < (1e-3 if dtype == np.float32 else 1e-10)

    pt = torch.tensor(p0, requires_grad=True)
    opt = torch.optim.Adam([pt], lr=lr, betas=(b1, b2), eps=eps, foreach=False)
    for g in grads:
        pt.grad = torch.tensor(g)
        opt.step()
    assert rel_err(p, pt.detach().numpy()) < TOL[dtype]
    assert rel_err(m, opt.state[pt]["exp_avg"].numpy()) < TOL[dtype]
    assert rel_err(v, opt.state[pt]["exp_avg_sq"].numpy()) < TOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_momentum_matches_torch(dtype):
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal(6).astype(dtype)
    grads = [rng.standard_normal(6).astype(dtype) for _ in range(5)]
    p, u = p0.copy(), np.zeros_like(p0)
    for g in grads:
        K.sgd_momentum_update(p, g, u, lr=0.05, momentum=0.9)
    pt = torch.tensor(p0, requires_grad=True)
    opt = torch.optim.SGD([pt], lr=0.05, momentum=0.9, foreach=False)
    for g in grads:
        pt.grad = torch.tensor(g)
        opt.step()
    assert rel_err(p, pt.detach().numpy()) < TOL[dtype]


@by_engine
def test_updates_are_in_place_on_multidimensional_arrays(E):
    p = np.ones((2, 3, 4), np.float32)
    before = p.copy()
    m, v = np.zeros_like(p), np.zeros_like(p)
    E.adam_update(p, np.ones_like(p), m, v, 1, AdamSpec(lr=0.1))
    assert np.allclose(p, before - 0.1, atol=1e-6) and np.all(m > 0) and np.all(v > 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_flushes_subnormal_moments_to_zero(dtype):
    """A weight whose gradient has gone to 0 halves its m each step (beta1 0.5); the moments
    must skip the subnormal range (slow on x86) and land on 0, and p must not notice."""
    tiny = np.finfo(dtype).tiny
    p = np.full(2, 0.5, dtype)
    m = np.array([64 * tiny, 1.0], dtype)  # entry 0 is 6 halvings above the subnormals
    v = np.array([tiny, 1.0], dtype)  # entry 0 turns subnormal at the first step
    seen = []
    for t in range(1, 11):
        K.adam_update(p, np.zeros(2, dtype), m, v, t, AdamSpec(2e-4, 0.5, 0.999, 1e-8))
        seen.append(m[0])
        assert not np.any((m != 0) & (np.abs(m) < tiny)) and not np.any((v != 0) & (v < tiny)), t
    assert seen[:6] == [dtype(64 * tiny / 2**k) for k in range(1, 7)]  # normal: halved exactly
    assert seen[6:] == [0, 0, 0, 0] and v[0] == 0  # would have been subnormal: 0 instead
    assert m[1] == dtype(0.5**10) and v[1] == dtype(0.999) ** 10  # ordinary values untouched
    assert p[0] == dtype(0.5)  # the flushed moments never moved p by a representable amount


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ema_update_is_the_moving_average_in_place(dtype):
    rng = np.random.default_rng(3)
    shadow, p = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal((3, 4)).astype(dtype)
    expected = (0.999 * shadow.astype(np.float64) + 0.001 * p.astype(np.float64))
    before = p.copy()
    K.ema_update(shadow, p, 0.999)
    assert shadow.dtype == dtype and np.abs(shadow - expected).max() < (1e-6 if dtype == np.float32 else 1e-15)
    assert np.array_equal(p, before)
    K.ema_update(shadow, p, 0.0)
    assert np.array_equal(shadow, p)
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="decay must be in"):
            K.ema_update(shadow, p, bad)
