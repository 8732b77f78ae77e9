"""Every CUDA kernel against its CPU kernel, under the CUDA simulator in CI (tiny shapes:
the simulator runs one OS thread per CUDA thread), on the real GPU in the GPU script."""

import numpy as np
import pytest
from conftest import rel_err
from numba import cuda

import kernels.cpu as CPU
import kernels.cuda as GPU
from kernels.cuda.conv2d import conv2d_backward_reference, conv2d_forward_reference
from kernels.cuda.dense import dense_backward_reference, dense_forward_reference
from kernels.specs import Activation, AdamSpec, BatchNormSpec, ConvSpec, DenseSpec
from minigan.gan import GAN
from minigan.recipes import RECIPES

TOL = {np.float32: 1e-5, np.float64: 1e-12}
CONV = [  # (N, H, W, C, F, (KH, KW), stride, padding): small enough for the simulator
    (2, 7, 7, 1, 2, (3, 3), 3, "valid"),
    (1, 5, 6, 2, 2, (3, 2), 1, 1),
    (2, 6, 5, 2, 3, (2, 2), 3, 0),
    (1, 5, 5, 2, 2, (3, 3), 2, "same"),
]


def up(*arrays):
    return [cuda.to_device(a) for a in arrays]


def host(*arrays):
    return [a.copy_to_host() for a in arrays]


def randn(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def passes(engine, layer, x, w, b, spec, dy, sigma=None):
    """The forward and backward of layer ('dense' or 'conv2d') on one engine, from host arrays
    (and sigma as that engine takes it): (y, [dx, dw, db]) as host arrays."""
    forward, backward = getattr(engine, f"{layer}_forward"), getattr(engine, f"{layer}_backward")
    if engine is CPU:
        y, cache = forward(x, w, b, spec, sigma)
        return y, list(backward(dy, cache))
    y, cache = forward(*up(x, w, b), spec, sigma)
    return host(y)[0], host(*backward(up(dy)[0], cache))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("variant", ["tiled", "naive"])
def test_dense(dtype, variant):
    rng = np.random.default_rng(0)
    x, w, b = randn(rng, (5, 7), dtype), randn(rng, (7, 3), dtype), randn(rng, 3, dtype)
    dy = randn(rng, (5, 3), dtype)
    y_ref, grads_ref = passes(CPU, "dense", x, w, b, DenseSpec(), dy)
    if variant == "tiled":
        y, grads = passes(GPU, "dense", x, w, b, DenseSpec(), dy)
    else:
        (y,), grads = host(dense_forward_reference(*up(x, w, b))), host(*dense_backward_reference(*up(dy, x, w)))
    assert y.dtype == dtype and rel_err(y, y_ref) < TOL[dtype]
    for mine, ref in zip(grads, grads_ref):
        assert mine.shape == ref.shape and rel_err(mine, ref) < TOL[dtype]


def test_a_backward_skips_the_gradients_it_is_not_asked_for():
    """input_grad=False: dx is None; param_grads=False: dw and db are None; the rest as in full."""
    rng = np.random.default_rng(10)
    x, w, b = randn(rng, (5, 7), np.float32), randn(rng, (7, 3), np.float32), randn(rng, 3, np.float32)
    dy = randn(rng, (5, 3), np.float32)
    x4, w4, b4 = randn(rng, (2, 6, 6, 2), np.float32), randn(rng, (3, 3, 2, 4), np.float32), randn(rng, 4, np.float32)
    dy4 = randn(rng, (2, 2, 2, 4), np.float32)
    for forward, backward, arrays, spec, d in ((GPU.dense_forward, GPU.dense_backward, (x, w, b), DenseSpec(), dy),
                                               (GPU.conv2d_forward, GPU.conv2d_backward, (x4, w4, b4),
                                                ConvSpec(3, "valid", Activation("relu")), dy4)):
        _, cache = forward(*up(*arrays), spec)
        full = host(*backward(up(d)[0], cache))
        dx, dw, db = backward(up(d)[0], cache, input_grad=False)
        assert dx is None and rel_err(dw.copy_to_host(), full[1]) == 0 and rel_err(db.copy_to_host(), full[2]) == 0
        dx, dw, db = backward(up(d)[0], cache, param_grads=False)
        assert dw is None and db is None and rel_err(dx.copy_to_host(), full[0]) == 0


def test_tiled_gemm_crosses_tile_edges():
    rng = np.random.default_rng(1)
    x, w, b = randn(rng, (17, 33), np.float32), randn(rng, (33, 18), np.float32), randn(rng, 18, np.float32)
    y, _ = GPU.dense_forward(*up(x, w, b), DenseSpec())
    assert rel_err(y.copy_to_host(), x @ w + b) < 1e-5


@pytest.mark.parametrize("variant", ["tiled", "direct"])
@pytest.mark.parametrize("case", CONV, ids=[str(i) for i in range(len(CONV))])
def test_conv2d(case, variant):
    N, H, W, C, F, (KH, KW), stride, padding = case
    rng = np.random.default_rng(2)
    x, w, b = randn(rng, (N, H, W, C), np.float32), randn(rng, (KH, KW, C, F), np.float32), randn(rng, F, np.float32)
    spec = ConvSpec(stride, padding)
    y_ref, cache = CPU.conv2d_forward(x, w, b, spec)
    dy = randn(rng, y_ref.shape, np.float32)
    if variant == "tiled":
        y, grads = passes(GPU, "conv2d", x, w, b, spec, dy)
    else:
        (y,) = host(conv2d_forward_reference(*up(x, w, b), stride, padding))
        grads = host(*conv2d_backward_reference(*up(dy, x, w), stride, padding))
    assert rel_err(y, y_ref) < 1e-5
    for name, mine, ref in zip(["dx", "dw", "db"], grads, CPU.conv2d_backward(dy, cache)):
        assert mine.shape == ref.shape and rel_err(mine, ref) < 1e-5, name


def test_one_thread_per_output_kernels_equal_the_gemm_ones():
    """The readable variants (gemm_naive, the direct convolution) against the contract's tiled
    GEMMs, in float64, on the bare layer (linear, no sigma)."""
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal(4)
    dy = rng.standard_normal((3, 4))
    y, grads = passes(GPU, "dense", x, w, b, DenseSpec(), dy)
    assert rel_err(host(dense_forward_reference(*up(x, w, b)))[0], y) < 1e-12
    for ref, fast in zip(host(*dense_backward_reference(*up(dy, x, w))), grads):
        assert rel_err(ref, fast) < 1e-12
    x4, w4, b4 = rng.standard_normal((2, 7, 7, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    for stride, padding in ((2, "same"), (3, "valid"), (1, 1)):
        y, cache = GPU.conv2d_forward(*up(x4, w4, b4), ConvSpec(stride, padding))
        assert rel_err(host(conv2d_forward_reference(*up(x4, w4, b4), stride, padding))[0], y.copy_to_host()) < 1e-12
        dy4 = rng.standard_normal(y.shape)
        pairs = zip(host(*conv2d_backward_reference(*up(dy4, x4, w4), stride, padding)),
                    host(*GPU.conv2d_backward(up(dy4)[0], cache)))
        for ref, fast in pairs:
            assert rel_err(ref, fast) < 1e-12


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_layers_with_an_activation(activation):
    """conv2d / dense with the spec's activation (on the GPU a second pass, fused on the CPU)
    against the CPU."""
    rng = np.random.default_rng(5)
    x, w, b = randn(rng, (2, 6, 6, 2), np.float32), randn(rng, (3, 3, 2, 4), np.float32), randn(rng, 4, np.float32)
    spec = ConvSpec(3, 0, Activation(activation, 0.2))
    dy = randn(rng, (2, 2, 2, 4), np.float32)
    y_ref, grads_ref = passes(CPU, "conv2d", x, w, b, spec, dy)
    y, grads = passes(GPU, "conv2d", x, w, b, spec, dy)
    assert (y_ref <= 0).any() and rel_err(y, y_ref) < 1e-5
    for mine, ref in zip(grads, grads_ref):
        assert rel_err(mine, ref) < 1e-5
    xd, wd, bd = randn(rng, (5, 7), np.float32), randn(rng, (7, 3), np.float32), randn(rng, 3, np.float32)
    spec, dyd = DenseSpec(Activation(activation, 0.2)), randn(rng, (5, 3), np.float32)
    yd_ref, grads_ref = passes(CPU, "dense", xd, wd, bd, spec, dyd)
    yd, grads = passes(GPU, "dense", xd, wd, bd, spec, dyd)
    assert rel_err(yd, yd_ref) < 1e-5
    for mine, ref in zip(grads, grads_ref):
        assert rel_err(mine, ref) < 1e-5


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_activations(name):
    rng = np.random.default_rng(3)
    x, dy = randn(rng, (3, 5), np.float32) * 3, randn(rng, (3, 5), np.float32)
    x[0, 0] = np.nan
    fwd_c, bwd_c = getattr(CPU, f"{name}_forward"), getattr(CPU, f"{name}_backward")
    fwd_g, bwd_g = getattr(GPU, f"{name}_forward"), getattr(GPU, f"{name}_backward")
    (y,) = host(fwd_g(*up(x)))
    y_ref = fwd_c(x)
    assert np.isnan(y[0, 0]) and rel_err(y[1:], y_ref[1:]) < 1e-6
    saved = x if name in ("relu", "leaky_relu") else y_ref
    saved, dy = saved[1:].copy(), dy[1:].copy()
    (dx,) = host(bwd_g(*up(dy, saved)))
    assert rel_err(dx, bwd_c(dy, saved)) < 1e-6


def test_loss_optimizers_dropout_concat():
    rng = np.random.default_rng(4)
    z, t = randn(rng, (6, 1), np.float32) * 4, rng.integers(0, 2, (6, 1)).astype(np.float32)
    assert rel_err(GPU.bce_with_logits_forward(*up(z, t)), CPU.bce_with_logits_forward(z, t)) < 1e-6
    (dz,) = host(GPU.bce_with_logits_backward(*up(z, t)))
    assert rel_err(dz, CPU.bce_with_logits_backward(z, t)) < 1e-6

    p, g = randn(rng, (4, 3), np.float32), randn(rng, (4, 3), np.float32)
    m, v = np.zeros_like(p), np.zeros_like(p)
    g[0, 0], m[0, 0] = 0, 1.5 * np.finfo(np.float32).tiny  # halved, m[0, 0] turns subnormal: flushed
    dp, dg, dm, dv = up(p, g, m, v)
    spec = AdamSpec(2e-4, 0.5, 0.999, 1e-8)
    for step in (1, 2):
        CPU.adam_update(p, g, m, v, step, spec)
        GPU.adam_update(dp, dg, dm, dv, step, spec)
    for a, b in zip(host(dp, dm, dv), (p, m, v)):
        assert rel_err(a, b) < 1e-6
    assert m[0, 0] == 0 and host(dm)[0][0, 0] == 0
    u = np.zeros_like(p)
    dp, du = up(p, u)
    CPU.sgd_momentum_update(p, g, u, 0.1, 0.9)
    GPU.sgd_momentum_update(dp, dg, du, 0.1, 0.9)
    assert rel_err(dp.copy_to_host(), p) < 1e-6

    # the same key and rows drop the same units on both (kernels/counter_rng.py)
    rows = np.array([7, 2, 40, 3])
    (y,) = host(GPU.dropout_forward(up(p)[0], 0.5, 2**64 - 3, up(rows)[0]))
    assert (y == 0).any() and np.array_equal(y, CPU.dropout_forward(p, 0.5, 2**64 - 3, rows))
    (dx,) = host(GPU.dropout_backward(up(p)[0], 0.5, 2**64 - 3, up(rows)[0]))
    assert np.array_equal(dx, y)
    (c,) = host(GPU.concat_rows(*up(p, g)))
    assert np.array_equal(c, np.concatenate([p, g]))


@pytest.mark.parametrize("activation", ["linear", "relu", "leaky_relu"])
def test_batchnorm(activation):
    """Training forward (y and the cache's statistics), backward, the running update from the
    cache, and inference, with the spec's activation (fused on the CPU, a pass of its own here)."""
    rng = np.random.default_rng(5)
    x, g, b, dy = randn(rng, (6, 4), np.float32) + 2, randn(rng, 4, np.float32), randn(rng, 4, np.float32), randn(rng, (6, 4), np.float32)
    spec = BatchNormSpec(1e-3, Activation(activation, 0.1))
    y_ref, cache_ref = CPU.batchnorm_forward(x, g, b, spec)
    y, cache = GPU.batchnorm_forward(*up(x, g, b), spec)
    assert activation == "linear" or (y_ref <= 0).any()
    for a, r in zip(host(y, cache.mean, cache.inv_std, cache.xhat),
                    (y_ref, cache_ref.mean, cache_ref.inv_std, cache_ref.xhat)):
        assert rel_err(a, r) < 1e-5
    for a, r in zip(host(*GPU.batchnorm_backward(up(dy)[0], cache)), CPU.batchnorm_backward(dy, cache_ref)):
        assert rel_err(a, r) < 1e-5
    mm, mv = np.zeros(4, np.float32), np.ones(4, np.float32)
    dmm, dmv = up(mm, mv)
    CPU.batchnorm_running_update(mm, mv, cache_ref, 0.8)
    GPU.batchnorm_running_update(dmm, dmv, cache, 0.8)
    assert rel_err(dmm.copy_to_host(), mm) < 1e-6 and rel_err(dmv.copy_to_host(), mv) < 1e-6
    (y,) = host(GPU.batchnorm_inference(*up(x, g, b, mm, mv), spec))
    assert rel_err(y, CPU.batchnorm_inference(x, g, b, mm, mv, spec)) < 1e-5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy(dtype):
    rng = np.random.default_rng(9)
    z, y = randn(rng, (5, 4), dtype) * 3, rng.integers(0, 4, 5)
    assert abs(GPU.softmax_cross_entropy_forward(*up(z), y) - CPU.softmax_cross_entropy_forward(z, y)) < TOL[dtype]
    (dz,) = host(GPU.softmax_cross_entropy_backward(*up(z, y)))  # device labels too
    assert rel_err(dz, CPU.softmax_cross_entropy_backward(z, y)) < TOL[dtype]
    with pytest.raises(ValueError, match="labels must lie in"):
        GPU.softmax_cross_entropy_forward(*up(z), y + 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_minibatch_stddev(dtype):
    rng = np.random.default_rng(6)
    h, dy = randn(rng, (8, 5), dtype), randn(rng, (8, 6), dtype)
    (y,) = host(GPU.minibatch_stddev_forward(*up(h), 4))
    assert rel_err(y, CPU.minibatch_stddev_forward(h, 4)) < TOL[dtype]
    (dh,) = host(GPU.minibatch_stddev_backward(*up(dy, h), 4))
    assert rel_err(dh, CPU.minibatch_stddev_backward(dy, h, 4)) < TOL[dtype]
    with pytest.raises(ValueError, match="divisible by 4"):
        GPU.minibatch_stddev_forward(*up(h[:6]), 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ema_update(dtype):
    rng = np.random.default_rng(7)
    shadow, p = randn(rng, (4, 3), dtype), randn(rng, (4, 3), dtype)
    d_shadow, d_p = up(shadow, p)
    CPU.ema_update(shadow, p, 0.99)
    GPU.ema_update(d_shadow, d_p, 0.99)
    assert rel_err(d_shadow.copy_to_host(), shadow) < TOL[dtype]
    with pytest.raises(ValueError, match="decay must be in"):
        GPU.ema_update(d_shadow, d_p, 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_iteration_sigma_where_eps_clamps(dtype):
    """The step's sigma as the CPU's where |M^T v| < eps (kernels/cpu/spectral_norm.py)."""
    rng = np.random.default_rng(12)
    w, u, v = randn(rng, (5, 3), dtype) * dtype(1e-14), randn(rng, 3, dtype), randn(rng, 5, dtype)
    d_w, d_u, d_v = up(w, u, v)
    stepped, d_stepped = CPU.spectral_norm_power_iteration(w, u, v), GPU.spectral_norm_power_iteration(d_w, d_u, d_v)
    assert abs(d_stepped.copy_to_host()[0] - stepped) < TOL[dtype] * stepped


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_spectral_norm(dtype):
    rng = np.random.default_rng(8)
    w, u, v = randn(rng, (3, 3, 2, 4), dtype), randn(rng, 4, dtype), randn(rng, 18, dtype)
    d_w, d_u, d_v = up(w, u, v)
    stepped, d_stepped = CPU.spectral_norm_power_iteration(w, u, v), GPU.spectral_norm_power_iteration(d_w, d_u, d_v)
    assert rel_err(d_u.copy_to_host(), u) < TOL[dtype] and rel_err(d_v.copy_to_host(), v) < TOL[dtype]
    sigma, d_sigma = CPU.spectral_norm_forward(w, u, v), GPU.spectral_norm_forward(d_w, d_u, d_v)
    assert abs(d_sigma.copy_to_host()[0] - sigma) < TOL[dtype] * sigma
    assert abs(d_stepped.copy_to_host()[0] - stepped) < TOL[dtype] * sigma and abs(stepped - sigma) < TOL[dtype] * sigma
    dw_fixed = randn(rng, w.shape, dtype)
    (dw,) = host(GPU.spectral_norm_backward(cuda.to_device(dw_fixed), d_w, d_u, d_v, d_sigma))
    assert rel_err(dw, CPU.spectral_norm_backward(dw_fixed, w, u, v, sigma)) < TOL[dtype]
    # the layer's kernels given sigma divide by it (its GEMMs' epilogue), as the CPU's do
    x, b, dy = randn(rng, (2, 6, 6, 2), dtype), randn(rng, 4, dtype), randn(rng, (2, 2, 2, 4), dtype)
    spec = ConvSpec(3, "valid", Activation("relu"))
    y, grads_ref = passes(CPU, "conv2d", x, w, b, spec, dy, sigma)
    d_y, grads = passes(GPU, "conv2d", x, w, b, spec, dy, d_sigma)
    assert rel_err(d_y, y) < TOL[dtype]
    for name, g, ref in zip("dx dw db".split(), grads, grads_ref):
        assert rel_err(g, ref) < TOL[dtype], name
    xd, wd, dyd = randn(rng, (3, 18), dtype), w.reshape(18, 4), randn(rng, (3, 4), dtype)
    yd, grads_ref = passes(CPU, "dense", xd, wd, b, DenseSpec(), dyd, sigma)
    d_yd, grads = passes(GPU, "dense", xd, wd, b, DenseSpec(), dyd, d_sigma)
    assert rel_err(d_yd, yd) < TOL[dtype]
    for name, g, ref in zip("dx dw db".split(), grads, grads_ref):
        assert rel_err(g, ref) < TOL[dtype], name


TINY = dict(g_widths=(4, 4, 4), d_channels=(2, 2, 2))


# Each full step costs minutes in the simulator, so two recipes: the default (the documented
# models and spectral norm: its kernels include the documented recipe's) and `sharp`, which
# adds BatchNorm, LeakyReLU and the averaged G; dropout and minibatch stddev, which the
# ablation tried, are checked kernel by kernel above. `sharp` runs in float64: in float32 its
# BatchNorm betas have near-zero gradients at batch 2, where Adam's first steps (about
# lr * g / (|g| + eps)) magnify the engines' round-off (measured: 5.6e-4 relative on
# G/bn1/beta after 2 steps), so float32 could not tell a bug from rounding. Steps: the default
# takes two, the second on the device buffers the first filled (kernels/workspace.py) and on
# Adam's and the power iteration's carried state; `sharp` one, which reaches every kernel it
# adds (a simulated step is slow: docs/speed.md has its cost in the suite).
CASES = {"default": (RECIPES["default"], np.float32, 2), "sharp": (RECIPES["sharp"], np.float64, 1)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_training_steps_match_the_cpu(case):
    """Full training steps (two, or one: CASES), device-resident, against the CPU engine from the same weights,
    batches and noise: losses and D(x), D(G(z)) to ~1e-5, parameters (and the averaged G, and
    spectral norm's u, v) to 1e-4 in float32, 1e-7 in float64. A tiny model at batch 2 (the simulator runs every CUDA
    thread as an OS thread); the GPU script runs the documented sizes in float32."""
    recipe, dtype, steps = CASES[case]
    batch = 2
    cpu = GAN(recipe, np.random.default_rng(0), CPU, dtype, **TINY)
    gpu = GAN(recipe, np.random.default_rng(0), GPU, dtype, **TINY)
    assert not isinstance(gpu.G.params()["dense1/w"], np.ndarray)  # the weights live on the device
    rng = np.random.default_rng(1)
    for _ in range(steps):
        real = rng.uniform(-1, 1, (batch, 28, 28, 1)).astype(dtype)
        z = rng.standard_normal((batch, 100)).astype(dtype)
        a, b = cpu.train_step(real, z), gpu.train_step(real, z)
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert abs(a[key] - b[key]) <= 1e-5 * max(1.0, abs(a[key])), (key, a[key], b[key])
    state_cpu, state_gpu = cpu.state(), gpu.state()
    assert set(state_cpu) == set(state_gpu)
    tol = 1e-4 if dtype == np.float32 else 1e-7
    for k in state_cpu:
        assert rel_err(state_cpu[k], state_gpu[k]) < tol, (k, rel_err(state_cpu[k], state_gpu[k]))
    z = rng.standard_normal((batch, 100)).astype(dtype)
    assert rel_err(gpu.sample(z), cpu.sample(z)) < tol


def test_minigan_imports_without_touching_cuda():
    """numba-cuda is optional: the CPU path never imports kernels.cuda or numba.cuda."""
    import subprocess
    import sys

    code = ("import sys, minigan.cli, minigan.train, minigan.gan, kernels.cpu; "
            "bad = [m for m in ('kernels.cuda', 'numba.cuda') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
