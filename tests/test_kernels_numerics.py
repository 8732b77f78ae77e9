"""Numerical hygiene: NaN propagates (no fastmath dropping NaN checks), float32 kernels
compute in float32 (no float64 accumulator sneaking in), stable sigmoid/BCE at extremes."""

import inspect

import numpy as np
import pytest
from numba import njit
from numba.core.registry import CPUDispatcher

import kernels.cpu as K
import kernels.sigmoid
from kernels.cpu import (activations, batchnorm, dropout, epilogue, gemm, im2col, losses, minibatch_stddev, optim,
                         spectral_norm)
from kernels.conv_geometry import conv_geometry
from kernels.reference import activations as ref_activations
from kernels.reference import batchnorm as ref_batchnorm
from kernels.reference import conv2d as ref_conv2d
from kernels.reference import dense as ref_dense
from kernels.reference import spectral_norm as ref_spectral_norm
from kernels.specs import AdamSpec, ConvSpec, DenseSpec
from cases import by_engine

# the fast engine's compiled modules, the stable sigmoid both engines share, and the readable
# engine's plain loops (the lab's signatures). Not kernels/reference/optim.py: its Adam forms the
# per-call scalars (1 - beta, the bias corrections) in float64 on purpose, once, before its loop,
# and casts them; values that test_float32_kernels_have_no_float64_values flags, though no accumulator.
MODULES = [activations, batchnorm, dropout, epilogue, gemm, im2col, losses, minibatch_stddev, optim, spectral_norm,
           kernels.sigmoid, ref_activations, ref_batchnorm, ref_conv2d, ref_dense, ref_spectral_norm]


def compiled_kernels():
    """Every @njit function of the kernel modules; a by_size pair counts as its two builds."""
    found = []
    for m in MODULES:
        for name, obj in vars(m).items():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == m.__name__:
                found.append((m.__name__, name, obj))
            elif hasattr(obj, "serial") and isinstance(obj.serial, CPUDispatcher):
                found += [(m.__name__, name, obj.serial), (m.__name__, name, obj.parallel)]
    return found


def test_no_kernel_drops_nan_or_inf_checks():
    """fastmath's flags may let LLVM assume NaN and inf away; reordering a sum ("reassoc", what
    spectral norm's reductions use to be vectorised) is the one flag allowed."""
    kernels = compiled_kernels()
    assert len(kernels) >= 20
    for mod, name, kern in kernels:
        flags = kern.targetoptions.get("fastmath") or set()
        assert flags is not True and set(flags) <= {"reassoc"}, f"{mod}.{name} is compiled with fastmath {flags}"


def test_reordered_sums_carry_nan_and_inf():
    M = np.ones((70, 1000), np.float32)  # above the parallel threshold: both builds are checked below
    u, v = np.full(1000, 0.03, np.float32), np.full(70, 0.1, np.float32)
    blocks = spectral_norm.blocks_of(M)
    for bad in (np.nan, np.inf):
        M[37, 512] = bad
        for kind in ("serial", "parallel"):
            sums = np.empty(blocks, np.float32)
            getattr(spectral_norm._sigma_pass, kind)(M, u, v, sums)
            assert (np.isnan(sums.sum()) if np.isnan(bad) else np.isinf(sums.sum())), (kind, bad)
            getattr(spectral_norm._inner_pass, kind)(M, np.ones_like(M), sums)
            assert (np.isnan(sums.sum()) if np.isnan(bad) else np.isinf(sums.sum())), (kind, bad)
            power_sums, Mu = np.empty((blocks, M.shape[1]), np.float32), np.empty(M.shape[0], np.float32)
            getattr(spectral_norm._power_pass, kind)(M, u, Mu, power_sums)
            assert not np.isfinite(power_sums.sum()) and not np.isfinite(Mu[37]), (kind, bad)
        assert not np.isfinite(K.spectral_norm_power_iteration(M, u.copy(), v.copy())), bad


def test_size_dispatch_runs_both_builds_alike():
    from kernels.cpu.parallel import PARALLEL_MIN_SIZE

    x = np.random.default_rng(0).standard_normal(PARALLEL_MIN_SIZE + 3).astype(np.float32)
    serial, parallel = np.empty_like(x), np.empty_like(x)
    activations._tanh_forward.serial(x, serial)
    activations._tanh_forward.parallel(x, parallel)
    assert np.array_equal(serial, parallel)
    assert np.array_equal(K.relu_forward(x[:100]), np.maximum(x[:100], 0))


def float32_args(name, kern):
    """Typical float32 arguments for each compiled kernel, by name."""
    rng = np.random.default_rng(0)
    a = lambda *s: rng.standard_normal(s).astype(np.float32)
    x4, w4, dy4 = a(2, 6, 6, 2), a(3, 3, 2, 3), a(2, 2, 2, 3)
    g = conv_geometry("numerics", x4.shape, w4.shape, 3, "valid")  # 6x6 -> 2x2
    table = {
        "dense_forward": (a(3, 4), a(4, 5), a(5)), "_gemm_into_mkl": (a(3, 4), a(4, 5), a(3, 5)),
        "_gemm_into_openblas": (a(3, 4), a(4, 5), a(3, 5)), "gemm_into": (a(3, 4), a(4, 5), a(3, 5)),
        "_gemm_mkl": (a(3, 4), a(4, 5), a(3, 5), 1), "_gemm_add_into_mkl": (a(3, 4), a(4, 5), a(3, 5)),
        "_gemm_add_into_openblas": (a(3, 4), a(4, 5), a(3, 5)), "gemm_add_into": (a(3, 4), a(4, 5), a(3, 5)),
        "_operand": (a(3, 4),),
        "dense_backward": (a(3, 5), a(3, 4), a(4, 5)),
        "conv2d_forward_loops": (x4, w4, a(3), g),
        "conv2d_backward_loops": (dy4, x4, w4, g),
        "_bias_activation_forward": (a(4, 3), a(3), 2, 0.2, np.float32(0.5)),
        "_group_stats": (a(8, 3), 4, 1e-8, a(2, 3), a(2, 3), a(2)),
        "_forward": (a(8, 3), 4, 1e-8, a(2, 3), a(2, 3), a(2), a(8, 4)),
        "_backward": (a(8, 4), a(8, 3), 4, 1e-8, a(2, 3), a(2, 3), a(2), a(8, 3)),
        "_activation_backward_and_bias_grad": (a(4, 3), a(4, 3), 2, 0.2, np.float32(0.5), a(4, 3), a(3)),
        "_activation_backward_threaded": (a(4, 3), a(4, 3), 2, 0.2, a(4, 3)), "through_activation": (np.float32(1), np.float32(-1), 2, np.float32(0.2), np.float32(0)),
        "activate": (np.float32(-1), 2, np.float32(0.2), np.float32(0)),
        "_patches": (x4, a(8, 18), g, 0),
        "taps_inside": (g,), "windows_tile": (g,),
        "_tanh_forward_rational": (a(5), activations.TANH_P32, activations.TANH_Q32, 7.9, 4e-4, a(5)),
        "stable_sigmoid": (np.float32(0.5),),
        "_adam_update": (a(5), a(5), a(5), np.abs(a(5)), 1e-3, 0.5, 0.9, 0.999, 0.1, 0.001, 1e-8, 1e-38),
        "_sgd_momentum_update": (a(5), a(5), a(5), 1e-2, 0.9), "_ema_update": (a(5), a(5), 0.999, 0.001),
        "power_iteration": (a(6, 4), a(4), a(6), np.float32(1e-12)),
        "_power_pass": (a(6, 4), a(4), a(6), a(1, 4)), "_finish_power_iteration": (a(1, 4), a(4), a(6), np.float32(1e-12)),
        "_squared_norm": (a(5),),
        "sigma_of": (a(6, 4), a(4), a(6)),
        "_sigma_pass": (a(6, 4), a(4), a(6), a(1)), "_inner_pass": (a(6, 4), a(6, 4), a(1)),
        "sigma_backward": (a(6, 4), a(6, 4), a(4), a(6), np.float32(2.0)),
        "_minus_rank_one": (a(6, 4), a(4), a(6), np.float32(2.0), a(6, 4)),
        "_feature_sums": (a(4, 3), a(4)), "_centred_square_sums": (a(4, 3), np.array([1, 2, 3, 4], np.float32), a(3)),
        "_normalise": (a(4, 3), a(3), a(3), np.array([1, 2, 3, 4], np.float32), np.abs(a(3)), 1e-3, 2, 0.2, a(4, 3),
                       a(3), a(3), a(4, 3)),
        "_gradient_sums": (a(4, 3), a(4, 3), 2, 0.2, a(4, 3), a(7)),
        "_input_grad": (a(4, 3), a(4, 3), 2, 0.2, a(4, 3), a(3), np.abs(a(3)), np.abs(a(7)) + 1, a(4, 3)),
        "_batchnorm_inference": (a(4, 3), a(3), a(3), a(3), np.abs(a(3)), 1e-3, 2, 0.2),
        "_batchnorm_running_update": (a(3), np.abs(a(3)), a(3), np.abs(a(3)) + 1, 0.8, 0.2, 1e-3),
        "batchnorm_forward": (a(4, 3), a(3), a(3)), "batchnorm_backward": (a(4, 3), a(4, 3), a(3), np.abs(a(3))),
        "batchnorm_inference": (a(4, 3), a(3), a(3), a(3), np.abs(a(3))),
        "_dropout": (a(5), np.uint64(7), np.arange(1), np.uint64(2**31), 1 / 0.7, a(5)),
        "unit_bits": (np.uint64(7), np.uint64(3)),
        "_dropout_rows": (a(5), np.uint64(7), np.arange(1), np.uint64(2**31), np.float32(1 / 0.7), a(5)),
        "_leaky_relu_forward": (a(5), 0.2, a(5)), "_leaky_relu_backward": (a(5), a(5), 0.2, a(5)),
        "_softmax_cross_entropy": (a(4, 3), np.array([0, 2, 1, 1])),
        "_softmax_cross_entropy_backward": (a(4, 3), np.array([0, 2, 1, 1])),
        "_bce_with_logits_forward": (a(5), a(5)), "_bce_with_logits_backward": (a(5), a(5), a(5)),
    }
    if name in table:
        return table[name]
    # an elementwise kernel: an array for each parameter without a default (alpha keeps its own)
    params = inspect.signature(kern.py_func).parameters.values()
    return tuple(a(5) for p in params if p.default is inspect.Parameter.empty)


@pytest.mark.parametrize("mod, name, kern", compiled_kernels(), ids=lambda v: v if isinstance(v, str) else "")
def test_float32_kernels_have_no_float64_values(mod, name, kern):
    fresh = njit(kern.py_func)  # uncached compile, so the type annotation exists
    fresh(*float32_args(name, kern))
    typemap = fresh.overloads[fresh.signatures[0]].type_annotation.typemap
    # scalars passed in as Python floats (alpha, lr, ...) arrive as float64 arguments; each
    # kernel converts them with x.dtype.type(...) before use, and every other value is checked.
    params = set(inspect.signature(kern.py_func).parameters)
    wide = sorted(f"{var}: {t}" for var, t in typemap.items()
                  if "float64" in str(t) and var.removeprefix("arg.") not in params)
    assert not wide, f"{mod}.{name} computes in float64 when given float32: {wide}"


@by_engine
def test_nan_propagates_through_forward_kernels(E):
    x = np.array([[1.0, np.nan, -2.0]], dtype=np.float32)
    for name in ["relu", "leaky_relu", "tanh", "sigmoid"]:
        y = getattr(E, f"{name}_forward")(x)
        assert np.isnan(y[0, 1]) and not np.isnan(y[0, 0]), name
    y, _ = E.dense_forward(x, np.ones((3, 2), np.float32), np.zeros(2, np.float32), DenseSpec())
    assert np.isnan(y).all()
    xc = np.zeros((1, 3, 3, 1), np.float32)
    xc[0, 1, 1, 0] = np.nan
    y, _ = E.conv2d_forward(xc, np.ones((3, 3, 1, 1), np.float32), np.zeros(1, np.float32), ConvSpec(3, 0))
    assert np.isnan(y).all()
    assert np.isnan(E.bce_with_logits_forward(x.T.copy(), np.ones((3, 1), np.float32)))
    p = np.ones(3, np.float32)
    E.adam_update(p, np.array([0, np.nan, 0], np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32), 1,
                  AdamSpec())
    assert np.isnan(p[1]) and not np.isnan(p[0])


@by_engine
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_bce_are_stable_at_extremes(dtype, E):
    z = np.array([[-1e4], [-100.0], [0.0], [100.0], [1e4]], dtype=dtype)
    with np.errstate(over="raise"):
        s = E.sigmoid_forward(z)
    assert np.all(np.isfinite(s)) and s[0, 0] == 0 and s[-1, 0] == 1
    ones = np.ones_like(z)
    loss = E.bce_with_logits_forward(z, ones)
    expected = np.mean(np.logaddexp(0, -z.astype(np.float64)))  # -log sigmoid(z)
    assert np.isfinite(loss) and abs(loss - expected) / expected < 1e-6
    assert np.all(np.isfinite(E.bce_with_logits_backward(z, ones)))


def test_serial_and_parallel_builds_keep_separate_caches():
    """by_size compiles each elementwise kernel twice; Numba keys cache files by function name
    and line, not by flags, so one name would make the parallel build load the serial code
    (it did: Adam ran 6x slower). Each build must own its cache files."""
    builds = [v for m in (activations, im2col, dropout, optim) for v in vars(m).values()
              if hasattr(v, "serial") and hasattr(v, "parallel")]
    assert len(builds) >= 10
    for d in builds:
        assert d.parallel.targetoptions.get("parallel") and not d.serial.targetoptions.get("parallel")
        assert d.serial._cache._cache_file._index_name != d.parallel._cache._cache_file._index_name, d.__name__


def test_float32_tanh_is_within_6_ulp_of_tanh():
    """The float32 tanh is a rational approximation (kernels/cpu/activations.py); over a dense
    grid, the small-|x| range and the saturated tails it stays within 6 ulp of float64 tanh."""
    grid = np.linspace(-12, 12, 2_000_001, dtype=np.float32)
    small = np.float32(10.0) ** np.linspace(-8, 1, 100_001, dtype=np.float32)
    x = np.concatenate([grid, small, -small, np.float32([0, 4e-4, -4e-4, 7.9053111, 3e38, -3e38])])
    y, exact = K.tanh_forward(x), np.tanh(x.astype(np.float64))
    ulp = np.abs(y - exact) / np.spacing(np.abs(exact).astype(np.float32))
    assert y.dtype == np.float32 and ulp.max() <= 6, (ulp.max(), x[ulp.argmax()])
    assert np.all(np.abs(y) <= 1) and np.array_equal(y[-2:], [1, -1])
    assert np.array_equal(np.isnan(K.tanh_forward(np.float32([np.nan, 1]))), [True, False])
    assert np.allclose(K.tanh_forward(x.astype(np.float64)), np.tanh(x.astype(np.float64)), rtol=1e-15, atol=0)  # libm
