"""One contract for every engine (MiniTorch's rule): kernels.reference (the readable loops),
kernels.cpu and kernels.cuda export the same names with the same signatures, narrow ones, and
the readable engine trains the GAN to the fast engine's numbers."""

import ast
import importlib
import inspect
import re

import numpy as np
import pytest

import kernels.cpu as CPU
import kernels.reference as REFERENCE
from conftest import REPO
from kernels.contract import CONTRACT
from minigan.gan import GAN
from minigan.recipes import RECIPES, Recipe

GPU = importlib.import_module("kernels.cuda")  # the simulator in CI (tests/conftest.py)
ENGINES = {"reference": REFERENCE, "cpu": CPU, "cuda": GPU}
MAX_PARAMETERS = 6


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_every_engine_exports_the_contract_with_the_cpu_signatures(name):
    engine = ENGINES[name]
    assert sorted(engine.__all__) == sorted(CONTRACT)
    for fn in CONTRACT:
        assert str(inspect.signature(getattr(engine, fn))) == str(inspect.signature(getattr(CPU, fn))), f"{name}.{fn}"


def test_every_public_kernel_takes_at_most_six_parameters():
    wide = {fn: len(inspect.signature(getattr(CPU, fn)).parameters) for fn in CONTRACT
            if inspect.isroutine(getattr(CPU, fn))}
    assert {fn: n for fn, n in wide.items() if n > MAX_PARAMETERS} == {}
    assert max(wide.values()) == MAX_PARAMETERS  # the count is read, not a constant: dense_forward has six


def positional_booleans(source):
    """(line, call) of every call in source that passes True or False by position."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, bool):
                    found.append((node.lineno, ast.unparse(node)[:80]))
    return found


def test_no_call_in_minigan_passes_a_bare_positional_boolean():
    assert positional_booleans("f(x, True)\ng(x, flag=False)") == [(1, "f(x, True)")]  # the finder finds one
    found = {str(path.relative_to(REPO)): hits for path in sorted((REPO / "minigan").rglob("*.py"))
             if (hits := positional_booleans(path.read_text()))}
    assert found == {}


def test_the_contract_page_lists_every_public_name():
    page = (REPO / "docs" / "contract.md").read_text()
    assert [name for name in CONTRACT if not re.search(rf"\b{name}\b", page)] == []


def two_steps(ops, recipe, batch=8):
    """The GAN's parameters and losses after two float64 training steps on fixed data."""
    gan = GAN(recipe, np.random.default_rng(0), ops, dtype=np.float64)
    data = np.random.default_rng(1)
    for _ in range(2):
        losses = gan.train_step(data.uniform(-1, 1, (batch, 28, 28, 1)), data.standard_normal((batch, 100)))
    return {**gan.G.arrays(), **gan.D.arrays(), **gan.opt_d.state(), **gan.opt_g.state()}, losses


@pytest.mark.slow
@pytest.mark.parametrize("recipe", [
    RECIPES["default"],
    RECIPES["sharp"],  # BatchNorm and leaky relu in G, the moving average
    Recipe(d_dropout=0.25, d_minibatch_std=True),  # dropout and minibatch stddev in D
], ids=["default", "sharp", "dropout-mbstd"])
def test_the_readable_engine_trains_to_the_fast_engines_numbers(recipe):
    readable, readable_losses = two_steps(REFERENCE, recipe)
    fast, fast_losses = two_steps(CPU, recipe)
    assert readable.keys() == fast.keys()
    for name, value in fast.items():
        scale = max(float(np.max(np.abs(value), initial=0.0)), 1e-30)
        assert np.max(np.abs(readable[name] - value), initial=0.0) / scale < 1e-10, name
    for name, value in fast_losses.items():
        assert abs(readable_losses[name] - value) < 1e-10 * max(abs(value), 1.0), name


def test_every_engine_rounds_to_bfloat16_alike_and_only_the_fast_cpu_engine_multiplies_in_it():
    """The contract's precision: arrays are float32 or float64, and a dense or convolution spec's
    bf16 asks for bfloat16 operands, which kernels.cpu multiplies and the others refuse; the
    rounding itself (float32 -> uint16 bits -> float32) is every engine's, bit for bit alike."""
    from kernels.specs import DenseSpec

    x = np.float32([1.0, 1 + 2**-8, 1 + 3 * 2**-8, -2**-133 * 1.5, 3.4e38, np.inf, np.nan, 0.1])
    bits = {name: E.to_host(E.round_to_bfloat16(E.to_device(x))) for name, E in ENGINES.items()}
    assert bits["cpu"].dtype == np.uint16 and all(np.array_equal(b, bits["cpu"]) for b in bits.values())
    assert list(bits["cpu"][:6]) == [0x3F80, 0x3F80, 0x3F82, 0x8002, 0x7F80, 0x7F80]  # ties to even; overflow
    back = {name: E.to_host(E.bfloat16_to_float32(E.to_device(bits["cpu"]))) for name, E in ENGINES.items()}
    assert all(np.array_equal(b.view(np.uint32), back["cpu"].view(np.uint32)) for b in back.values())
    spec, arrays = DenseSpec(bf16=True), (np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), np.zeros(2, np.float32))
    assert np.array_equal(CPU.dense_forward(*arrays, spec)[0], np.full((2, 2), 3, np.float32))
    for name in ("reference", "cuda"):
        E = ENGINES[name]
        with pytest.raises(ValueError, match="spec.bf16"):
            E.dense_forward(*(E.to_device(a) for a in arrays), spec)


def test_a_backward_refuses_another_layers_cache():
    from kernels.specs import ConvSpec, DenseSpec

    for engine in (REFERENCE, CPU):
        x, w, b = np.ones((2, 3)), np.ones((3, 4)), np.zeros(4)
        y, cache = engine.dense_forward(x, w, b, DenseSpec())
        with pytest.raises(ValueError, match="cache must be the ConvCache that the matching forward returned"):
            engine.conv2d_backward(np.ones((2, 1, 1, 4)), cache)
        _, conv_cache = engine.conv2d_forward(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 2)), np.zeros(2), ConvSpec())
        with pytest.raises(ValueError, match="cache must be the DenseCache"):
            engine.dense_backward(y, conv_cache)
