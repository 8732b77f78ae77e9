"""Caller-owned buffers (kernels/workspace.py): a kernel given out=Workspace() returns what it
returns without one, and its second call allocates nothing; a GAN whose layers own their
buffers trains bit for bit as one that allocates; and a steady training step allocates no
large array at all, measured by Numba's and NumPy's own accounting."""

import importlib
import tracemalloc
import types

import numpy as np
import pytest
from numba import njit
from numba.core.runtime import _nrt_python, rtsys

import kernels.cpu as CPU
from kernels.specs import Activation, BatchNormSpec, ConvSpec, DenseSpec
from minigan.gan import GAN
from minigan.recipes import RECIPES

GPU = importlib.import_module("kernels.cuda")  # the simulator in CI (tests/conftest.py)
STEP_PEAK_LIMIT = 64 << 10  # bytes: a steady step's high-water mark over what it holds between steps


def kernel_calls(K, rng):
    """(name, call(out)) for every pass of the contract that takes out=, on tiny arrays; a
    backward is handed the cache of a forward made without a workspace."""
    a = lambda *s: K.to_device(rng.standard_normal(s))  # noqa: E731
    x, w, b, dy = a(6, 5), a(5, 4), a(4), a(6, 4)
    dense = DenseSpec(Activation("relu"))
    _, dense_cache = K.dense_forward(x, w, b, dense)
    xi, wi, bi = a(1, 5, 5, 2), a(3, 3, 2, 2), a(2)  # 5x5, k3 s2 pad 1 -> 3x3: padding and overlaps
    conv, conv_relu = ConvSpec(2, 1, Activation("leaky_relu", 0.2)), ConvSpec(2, 1, Activation("relu"))
    yi, conv_cache = K.conv2d_forward(xi, wi, bi, conv)
    dyi = a(*yi.shape)
    u, v = a(2), a(18)
    sigma = K.spectral_norm_forward(wi, u, v)
    _, sigma_cache = K.conv2d_forward(xi, wi, bi, conv_relu, sigma=sigma)
    gamma, beta = a(5), a(5)
    _, batchnorm_cache = K.batchnorm_forward(x, gamma, beta, BatchNormSpec())
    h, dh_up = a(8, 3), a(8, 4)
    return [
        ("dense_forward", lambda out: K.dense_forward(x, w, b, dense, out=out)),
        ("dense_backward", lambda out: K.dense_backward(dy, dense_cache, out=out)),
        ("conv2d_forward", lambda out: K.conv2d_forward(xi, wi, bi, conv, out=out)),
        ("conv2d_backward", lambda out: K.conv2d_backward(dyi, conv_cache, out=out)),
        ("tanh", lambda out: (K.tanh_forward(x, out=out), K.tanh_backward(x, K.tanh_forward(x), out=out))),
        ("relu", lambda out: (K.relu_forward(x, out=out), K.relu_backward(x, x, out=out))),
        ("leaky_relu", lambda out: (K.leaky_relu_forward(x, 0.2, out=out), K.leaky_relu_backward(x, x, 0.2, out=out))),
        ("sigmoid", lambda out: (K.sigmoid_forward(x, out=out), K.sigmoid_backward(x, K.sigmoid_forward(x), out=out))),
        ("bce_with_logits_backward", lambda out: K.bce_with_logits_backward(dy, K.sigmoid_forward(dy), out=out)),
        ("spectral_norm", lambda out: (K.spectral_norm_forward(wi, u, v, out=out),
                                       K.spectral_norm_backward(wi, wi, u, v, sigma, out=out))),
        ("conv2d with sigma", lambda out: (K.conv2d_forward(xi, wi, bi, conv_relu, sigma=sigma, out=out),
                                           K.conv2d_backward(dyi, sigma_cache, out=out))),
        ("batchnorm", lambda out: (K.batchnorm_forward(x, gamma, beta, BatchNormSpec(), out=out),
                                   K.batchnorm_backward(x, batchnorm_cache, out=out))),
        ("dropout", lambda out: (K.dropout_forward(x, 0.3, 11, out=out), K.dropout_backward(x, 0.3, 11, out=out))),
        ("minibatch_stddev", lambda out: (K.minibatch_stddev_forward(h, 4, out=out),
                                          K.minibatch_stddev_backward(dh_up, h, 4, out=out))),
        ("concat_rows", lambda out: K.concat_rows(x, x, out=out)),
    ]


def flatten(result):
    """The arrays, scalars and Nones of a kernel's result, a returned cache's among them (its spec
    and its geometry's ints are options, not results)."""
    if isinstance(result, tuple):
        return [a for r in result for a in flatten(r)]
    if result is None or isinstance(result, (float, np.floating)) or hasattr(result, "shape"):
        return [result]
    return []


@pytest.mark.parametrize("backend", [CPU, GPU], ids=["cpu", "cuda"])
def test_a_workspace_call_returns_what_a_fresh_call_does_and_reuses_its_buffers(backend):
    K = backend
    fresh_calls = kernel_calls(K, np.random.default_rng(0))
    kept_calls = kernel_calls(K, np.random.default_rng(0))  # the same arrays, drawn again
    for (name, fresh), (_, kept) in zip(fresh_calls, kept_calls):
        ws = K.Workspace()
        expected = [None if a is None else np.asarray(K.to_host(a)) for a in flatten(fresh(None))]
        first = [None if a is None else np.array(K.to_host(a)) for a in flatten(kept(ws))]
        held, nbytes = dict(ws.arrays), ws.nbytes()
        assert held, f"{name}: nothing was taken from the workspace"
        second = [None if a is None else np.asarray(K.to_host(a)) for a in flatten(kept(ws))]
        assert ws.arrays.keys() == held.keys() and all(ws.arrays[k] is held[k] for k in held), (
            f"{name}: the second call allocated new buffers")
        assert ws.nbytes() == nbytes
        for e, f, s in zip(expected, first, second):
            assert (e is None) == (f is None) == (s is None), name
            if e is not None:
                assert np.array_equal(e, f) and np.array_equal(f, s), name


def without_buffers(K):
    """The backend's kernels with a Workspace that lends nothing: every layer's workspace, and the
    step's, is None, so a GAN on it allocates every array (minigan/gan.py, minigan/layers.py)."""
    return types.SimpleNamespace(**{**{n: getattr(K, n) for n in K.__all__}, "Workspace": lambda: None})


def batches(n, batch=32, seed=1):
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32),
             rng.standard_normal((batch, 100)).astype(np.float32)) for _ in range(n)]


@pytest.mark.parametrize("recipe", ["default", "sharp"])
def test_layers_that_own_their_buffers_train_bit_for_bit_as_allocating_ones(recipe):
    owning = GAN(RECIPES[recipe], np.random.default_rng(0), CPU)
    allocating = GAN(RECIPES[recipe], np.random.default_rng(0), without_buffers(CPU))
    assert owning.workspace is not None and allocating.workspace is None
    for real, z in batches(3):
        assert owning.train_step(real, z) == allocating.train_step(real, z)
    a, b = owning.state(), allocating.state()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    z = np.random.default_rng(2).standard_normal((32, 100)).astype(np.float32)
    first = owning.sample(z)
    owning.sample(z[::-1].copy())
    assert np.array_equal(first, allocating.sample(z))  # a sample is the caller's: the next pass leaves it alone


def step_allocations(gan, real, z):
    """-> (bytes the step's high-water mark rises above what is held before it, (NRT blocks
    allocated, freed) during it). tracemalloc sees NumPy's arrays and Numba's, since Numba's
    runtime allocates through CPython's raw allocator (checked below)."""
    tracemalloc.start()
    try:
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        _nrt_python.memsys_enable_stats()
        before = rtsys.get_allocation_stats()
        gan.train_step(real, z)
        after = rtsys.get_allocation_stats()
        return tracemalloc.get_traced_memory()[1] - held, (after.alloc - before.alloc, after.free - before.free)
    finally:
        _nrt_python.memsys_disable_stats()
        tracemalloc.stop()


@njit
def _numba_array(n):
    return np.empty(n, np.float32)


@pytest.mark.parametrize("recipe, precision", [("default", "float32"), ("documented", "float32"),
                                               ("sharp", "float32"), ("default", "bf16")])
def test_a_steady_training_step_allocates_no_large_array(recipe, precision):
    # the instrument sees Numba's arrays: a 1 MiB np.empty inside @njit
    _numba_array(1)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        _numba_array(1 << 18)
        assert tracemalloc.get_traced_memory()[1] >= 1 << 20
    finally:
        tracemalloc.stop()

    steps = batches(5)
    gan = GAN(RECIPES[recipe], np.random.default_rng(0), CPU, precision=precision)  # bf16: its operands' too
    for real, z in steps[:2]:  # the first steps fill the workspaces
        gan.train_step(real, z)
    blocks = []
    for real, z in steps[2:]:
        peak, (alloc, free) = step_allocations(gan, real, z)
        assert peak <= STEP_PEAK_LIMIT, f"a steady {recipe} step's memory rose {peak / 1024:.0f} KiB"
        assert alloc == free, f"the step kept {alloc - free} of Numba's blocks"
        blocks.append(alloc)
    assert len(set(blocks)) == 1, f"Numba's block count changes from step to step: {blocks}"
    # and the instrument would see it otherwise: the same step without buffers rises by megabytes
    allocating = GAN(RECIPES[recipe], np.random.default_rng(0), without_buffers(CPU), precision=precision)
    for real, z in steps[:2]:
        allocating.train_step(real, z)
    assert step_allocations(allocating, *steps[2])[0] > 100 * STEP_PEAK_LIMIT
