"""bfloat16: the rounding bit for bit, the products, a bf16 step against float64 and against
its PyTorch twin, and --precision bf16's refusals. docs/precision.md derives the tolerances.

u = 2^-8 is bfloat16's unit roundoff (8 significant bits, round to nearest): a rounded operand
is off by at most u relative, and a product of two by at most 2u + u^2."""

import dataclasses

import numpy as np
import pytest
import torch
from conftest import norm_rel

import kernels.cpu as K
from benchmarks.torch_twin import TwinGAN
from cases import by_engine
from kernels.cpu import gemm_bf16
from kernels.cpu.bfloat16_rounding import _round
from kernels.specs import Activation, ConvSpec, DenseSpec
from minigan.data import load_mnist, to_gan_range
from minigan.gan import GAN
from minigan.recipes import RECIPES

U = 2.0 ** -8  # bfloat16's unit roundoff
F32 = 2.0 ** -24  # float32's


def definition(x):
    """Round to nearest even, written again on whole arrays: add 0x7FFF + the last kept bit,
    keep the top 16 bits; a NaN keeps its top bits, quiet."""
    b = np.ascontiguousarray(x, np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    nan = (b & 0x7FFFFFFF) > 0x7F800000
    return np.where(nan, ((b >> 16) | 0x40).astype(np.uint16), rounded)


def special_bits():
    """float32 bit patterns where rounding is hard: ties with an even and an odd last kept bit,
    one above and below them, in normal and subnormal binades; the largest float32 (past the
    largest bfloat16: infinity); infinities, zeros, NaNs with payloads only in the dropped half."""
    kept = np.array([0x3F80, 0x3F81, 0x3FFF, 0x0000, 0x0001, 0x007F, 0x0080, 0x7F7F, 0x7F7E, 0x00FF], np.uint32)
    tails = np.array([0x0000, 0x0001, 0x7FFF, 0x8000, 0x8001, 0xFFFF], np.uint32)
    bits = ((kept[:, None] << 16) | tails[None, :]).ravel()
    bits = np.concatenate([bits, bits | 0x80000000,
                           [0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x7F800001, 0x7FC00000, 0xFFC00001, 0x7FFFFFFF,
                            0x7F808000, 0x00008000, 0x00018000]]).astype(np.uint32)
    return bits.view(np.float32)


@by_engine
def test_rounding_is_the_bit_level_definition(E):
    x = np.concatenate([special_bits(), np.random.default_rng(0).integers(0, 2**32, 50_000, np.uint64)
                        .astype(np.uint32).view(np.float32)])
    bits = E.to_host(E.round_to_bfloat16(E.to_device(x)))
    assert bits.dtype == np.uint16 and np.array_equal(bits, definition(x))
    nan = np.isnan(x)
    finite = ~nan
    # an independent oracle: PyTorch's float32 -> bfloat16 conversion (round to nearest even)
    torch_bits = torch.from_numpy(x[finite]).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    assert np.array_equal(bits[finite], torch_bits)
    widened = E.to_host(E.bfloat16_to_float32(E.to_device(bits)))
    assert np.array_equal(np.isnan(widened), nan) and np.all((bits[nan] & 0x40) != 0)  # NaN stays NaN, quiet
    assert np.array_equal(np.signbit(widened), np.signbit(x))


def test_every_bfloat16_widens_exactly_and_rounds_back_to_itself():
    bits = np.arange(2**16, dtype=np.uint32).astype(np.uint16)
    x = K.bfloat16_to_float32(bits)
    assert np.array_equal(x.view(np.uint32), bits.astype(np.uint32) << 16)
    number = ~np.isnan(x)
    assert np.array_equal(K.round_to_bfloat16(x)[number], bits[number])


def test_the_threaded_rounding_is_the_serial_one():
    x = np.random.default_rng(1).standard_normal(1 << 17).astype(np.float32).view(np.uint32)
    serial, threaded = np.empty(x.size, np.uint16), np.empty(x.size, np.uint16)
    _round.serial(x, serial)
    _round.parallel(x, threaded)
    assert np.array_equal(serial, threaded) and np.array_equal(serial, definition(x.view(np.float32)))


def test_rounding_refuses_float64_and_widening_refuses_floats():
    with pytest.raises(ValueError, match="bfloat16 is rounded from float32"):
        K.round_to_bfloat16(np.ones(3))
    with pytest.raises(ValueError, match="uint16 array of bfloat16 bit patterns"):
        K.bfloat16_to_float32(np.ones(3, np.float32))


def test_a_cpu_without_bfloat16_dot_products_emulates_them_and_the_start_up_line_says_so(tmp_path, monkeypatch):
    from minigan.backends import precision_note

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n")
    assert gemm_bf16.native_bf16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n")
    assert not gemm_bf16.native_bf16(cpuinfo) and not gemm_bf16.native_bf16(tmp_path / "absent")
    monkeypatch.setattr(gemm_bf16, "native_bf16", lambda: False)
    product, name, why = gemm_bf16._choose()
    assert product is gemm_bf16.emulated and name == "emulated" and "avx512_bf16" in why
    monkeypatch.setattr(gemm_bf16, "EMULATED_BECAUSE", why)
    assert precision_note("float32") == "" and f"EMULATED ({why})" in precision_note("bf16")


def exact(a16, b16):
    return K.bfloat16_to_float32(a16).astype(np.float64) @ K.bfloat16_to_float32(b16).astype(np.float64)


@pytest.mark.parametrize("product", ["library", "emulated"])
def test_bf16_products_sum_the_rounded_operands_in_float32(product):
    """c = a @ b on bfloat16 operands equals the float64 product of the same bfloat16 numbers to
    float32 summation: |c - exact| <= (K + 1) 2^-24 (|a| @ |b|), elementwise; through oneDNN (where
    this machine multiplies) and emulated, on transposed views, strided rows and c += a @ b."""
    if product == "library" and gemm_bf16.BF16_PRODUCTS != "oneDNN":
        pytest.fail(f"bfloat16 products are emulated here ({gemm_bf16.EMULATED_BECAUSE}): pip install "
                    f"'minigan[bf16]' on a CPU with avx512_bf16 or amx_bf16")
    multiply = gemm_bf16._product if product == "library" else gemm_bf16.emulated
    rng = np.random.default_rng(2)
    for M, Kd, N in [(64, 2304, 512), (9, 5184, 128), (64, 512, 1), (5184, 9, 128)]:
        a = K.round_to_bfloat16(rng.standard_normal((M, Kd)).astype(np.float32))
        b = K.round_to_bfloat16(rng.standard_normal((N, Kd)).astype(np.float32)).T  # a transposed view
        rows = K.round_to_bfloat16(rng.standard_normal((M, 2 * Kd)).astype(np.float32))[:, ::2].copy()
        c = np.empty((M, N), np.float32)
        bound = (Kd + 1) * F32 * (np.abs(exact(a, b)) + exact(a & 0x7FFF, b & 0x7FFF))  # |a| @ |b|: sign bits off
        multiply(a, b, c, 0)
        assert np.all(np.abs(c - exact(a, b)) <= bound), (M, Kd, N)
        strided = np.empty((M, 2 * N), np.float32)[:, :N]  # c with strided rows
        multiply(rows, b, strided, 0)
        multiply(rows, b, strided, 1)  # += : twice the product
        assert np.all(np.abs(strided - 2 * exact(rows, b)) <= 2 * bound + F32 * np.abs(2 * exact(rows, b)))


def test_onednn_products_have_the_same_bits_on_one_thread_and_two():
    """The thread count follows the machine's load (minigan/runtime.py); the products must not
    change with it. The step's 30 products at batch 32 (benchmarks/gemm_floor.py)."""
    from benchmarks.bf16_products import bf16_operands

    if gemm_bf16.BF16_PRODUCTS != "oneDNN":
        pytest.fail(f"needs oneDNN's products ({gemm_bf16.EMULATED_BECAUSE})")
    onednn, results = gemm_bf16._product, {}
    for threads in (1, 2):
        onednn.set_threads(threads)
        results[threads] = []
        for _, _, a16, b16, c, _, _ in bf16_operands(32):
            onednn(a16, b16, c, 0)
            results[threads].append(c.copy())
    onednn.threads = None  # the next product sets Numba's count again
    assert all(np.array_equal(one, two) for one, two in zip(results[1], results[2]))


def test_a_layer_in_bf16_multiplies_the_rounded_operands():
    """Dense and convolution (im2col, tiled windows), forward and backward: every GEMM's output is
    the float64 product of its operands rounded to bfloat16 (x, w, and dpre / sigma in the
    backward), to float32 summation. Bias and activation are float32, on top."""
    rng = np.random.default_rng(3)
    r = lambda a: K.bfloat16_to_float32(K.round_to_bfloat16(np.asarray(a, np.float32))).astype(np.float64)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((16, 300), (300, 20), (20,)))
    sigma = np.float32(1.7)
    y, cache = K.dense_forward(x, w, b, DenseSpec(Activation("relu"), bf16=True), sigma)
    pre = r(x) @ r(w) / sigma + b
    assert np.allclose(y, np.maximum(pre, 0), rtol=0, atol=400 * F32 * np.abs(pre).max())
    dy = rng.standard_normal(y.shape).astype(np.float32)
    dx, dw, _ = K.dense_backward(dy, cache)
    dh = r(dy * (y > 0) / sigma)
    assert np.allclose(dx, dh @ r(w).T, rtol=0, atol=40 * F32 * np.abs(dh @ r(w).T).max())
    assert np.allclose(dw, r(x).T @ dh, rtol=0, atol=40 * F32 * np.abs(r(x).T @ dh).max())
    for stride, shape in ((3, (4, 9, 9, 8)), (2, (4, 8, 8, 3))):  # windows that tile (im2col in bfloat16 all the same), overlapping
        x, w = rng.standard_normal(shape).astype(np.float32), rng.standard_normal((3, 3, shape[3], 5)).astype(np.float32)
        y, cache = K.conv2d_forward(x, w, np.zeros(5, np.float32), ConvSpec(stride, "valid", bf16=True))
        y64, cache64 = K.conv2d_forward(r(x), r(w), np.zeros(5), ConvSpec(stride, "valid"))
        dy = rng.standard_normal(y.shape).astype(np.float32)
        grads, grads64 = K.conv2d_backward(dy, cache), K.conv2d_backward(r(dy), cache64)
        for got, want in zip((y, *grads[:2]), (y64, *grads64[:2])):
            assert np.abs(got - want).max() <= 100 * F32 * np.abs(want).max(), stride


def test_a_layer_takes_its_weights_bfloat16_bits_as_they_are_and_only_with_a_bf16_spec():
    """A layer that keeps its weights' bfloat16 copy hands the bits: the same numbers as rounding w
    in the kernel, bit for bit; bits without spec.bf16, or to an engine without bfloat16
    products, are refused by name."""
    import kernels.reference as R

    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((8, 30)).astype(np.float32), rng.standard_normal((30, 6)).astype(np.float32), np.zeros(6, np.float32)
    spec = DenseSpec(Activation("relu"), bf16=True)
    assert np.array_equal(K.dense_forward(x, K.round_to_bfloat16(w), b, spec)[0], K.dense_forward(x, w, b, spec)[0])
    x4, w4 = rng.standard_normal((2, 9, 9, 3)).astype(np.float32), rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    conv = ConvSpec(3, "valid", bf16=True)
    y_bits, cache = K.conv2d_forward(x4, K.round_to_bfloat16(w4), b[:4], conv)
    assert np.array_equal(y_bits, K.conv2d_forward(x4, w4, b[:4], conv)[0]) and cache.w.dtype == np.uint16
    for engine, call in ((K, lambda: K.dense_forward(x, K.round_to_bfloat16(w), b, DenseSpec())),
                         (R, lambda: R.dense_forward(x, K.round_to_bfloat16(w), b, DenseSpec()))):
        with pytest.raises(ValueError, match="w is bfloat16 bits"):
            call()


def test_every_bf16_product_takes_the_rounding_of_the_weights_as_they_are_and_rounds_each_once_a_move(monkeypatch):
    """The layers' bfloat16 copies of w (minigan/layers.py) are never stale: after every forward
    of G, D and G_ema, through training steps, a sample and a load, the bits the layer's products
    took equal the rounding of w as it is then. And a steady step rounds each weight once, where
    rounding in every forward would round D's twice (its D-step and G-step forwards). The sharp
    recipe, with spectral norm in D, and a G_ema that moves far enough every step to change its
    bits (decay 0.5)."""
    recipe = dataclasses.replace(RECIPES["sharp"], g_ema_decay=0.5)
    gan = GAN(recipe, np.random.default_rng(5), K, np.float32, precision="bf16", g_widths=(16, 32, 64),
              d_channels=(8, 16, 32))
    checked, copies, rounding = [], [], K.round_to_bfloat16
    for net in (gan.G, gan.D, gan.G_ema):
        for layer in net.layers:
            if hasattr(layer, "product_weights"):
                def forward(x, layer=layer, original=layer.forward):
                    y = original(x)
                    assert np.array_equal(layer.cache.w, rounding(layer.params["w"])), layer.name
                    checked.append(layer.name)
                    return y
                layer.forward = forward
    monkeypatch.setattr(K, "round_to_bfloat16", lambda x, out=None: copies.append(x.shape) or rounding(x, out))
    data = np.random.default_rng(6)
    batch = lambda: (data.uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32), data.standard_normal((8, 100)).astype(np.float32))
    gan.train_step(*batch())
    weights = len([layer for net in (gan.G, gan.D) for layer in net.layers if hasattr(layer, "product_weights")])
    copies.clear()
    for _ in range(2):
        gan.train_step(*batch())
    assert len(copies) == 2 * weights
    for _ in range(2):  # G_ema's copy made, then moved by a step
        gan.sample(batch()[1])
        gan.train_step(*batch())
    other = GAN(recipe, np.random.default_rng(9), K, np.float32, precision="bf16", g_widths=(16, 32, 64),
                d_channels=(8, 16, 32))
    gan.load_state(other.state())
    gan.train_step(*batch())
    gan.sample(batch()[1])
    assert {"dense1", "conv1", "conv3"} <= set(checked) and len(checked) > 6 * weights


def test_the_readable_and_cuda_engines_refuse_bf16_specs_and_float64_is_refused():
    import importlib

    import kernels.reference as R

    x, w, b = np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), np.zeros(2, np.float32)
    for engine, name in ((R, "the readable engine"), (importlib.import_module("kernels.cuda"), "the CUDA engine")):
        with pytest.raises(ValueError, match=f"fast CPU engine's.*{name}"):
            engine.dense_forward(engine.to_device(x), engine.to_device(w), engine.to_device(b), DenseSpec(bf16=True))
    with pytest.raises(ValueError, match="but x is float64"):
        K.conv2d_forward(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 2)), np.zeros(2), ConvSpec(bf16=True))


def test_a_bf16_step_equals_a_float64_step_within_the_mantissas_tolerance():
    """From the same weights and data, the D step's logits and loss of a bf16 GAN against a float64
    one's. A rounded operand is off by a relative error at most u, spread evenly: rms u / sqrt(3).
    A product of two rounded operands then carries sqrt(2/3) u (relative, norm over the output,
    the sum's terms of either sign), and L products in a row, with 1-Lipschitz activations
    between them, sqrt(2L/3) u, independent roundings adding in quadrature. The logits of
    [real; G(z)] are L = 8 products deep (G's four, D's four): held to three times that,
    3 sqrt(16/3) u = 2.7e-2, and the loss, which the logits move by |sigmoid(z) - t| <= 1 each, too.
    (The gradients are not held to it: D's is the difference of its real and fake halves, nearly
    equal at the start, which multiplies their errors; docs/precision.md has them layer by layer.)"""
    recipe = RECIPES["default"]
    nets = {"bf16": GAN(recipe, np.random.default_rng(0), K, np.float32, precision="bf16"),
            "float64": GAN(recipe, np.random.default_rng(0), K, np.float64)}
    weights = nets["bf16"].named_arrays()
    nets["float64"].load_state({k: np.asarray(v, np.float64) for k, v in weights.items()}, with_optimizers=False)
    data = np.random.default_rng(1)
    real, z = data.uniform(-1, 1, (32, 28, 28, 1)).astype(np.float32), data.standard_normal((32, 100)).astype(np.float32)
    out = {}
    for name, gan in nets.items():
        gan.D.power_iteration()  # as a step begins
        fake = gan.G.forward(z.astype(gan.dtype))
        loss, logits, _ = gan.d_loss_and_grads(real.astype(gan.dtype), fake)
        out[name] = float(loss), np.array(logits, np.float64)
    tolerance = 3 * np.sqrt(2 * 8 / 3) * U
    (loss, logits), (loss64, logits64) = out["bf16"], out["float64"]
    logit_error = np.linalg.norm(logits - logits64) / np.linalg.norm(logits64)
    print(f"bf16 against float64: logits {logit_error:.2e}, loss {abs(loss - loss64) / loss64:.2e}; "
          f"tolerance {tolerance:.2e}")
    assert 0 < logit_error <= tolerance and abs(loss - loss64) <= tolerance * loss64


def test_twenty_bf16_steps_match_the_pytorch_twin_rounding_the_same_operands(mnist_dir):
    """Teacher-forced, as test_torch_twin_parity's float32 test: before each of 20 steps of the
    default recipe the twin (bf16_products: benchmarks/torch_twin.py) takes minigan's weights and
    Adam state. Both round the same float32 numbers the same way; where the engines' float32
    sums differ by a relative d (summation order), a bfloat16 rounding flips with probability
    about d / 2^-8 and then moves its operand by up to 2^-7: rms sqrt(d 2^8) 2^-7 = sqrt(d) / 8.
    With d the float32 test's tolerances (D's loss 1e-5, G's 1e-4) the losses are held to
    sqrt(d) / 8: 4e-4 and 1.25e-3. Parameters: sqrt(1e-2) / 8 = 1.25e-2 from the float32 test's
    1e-2 the same way, times 4 for the first Adam steps, which divide by |g| + eps and so pass a
    tiny gradient's relative error whole into a bias that starts at zero (measured: 2.5e-2,
    G/dense2/b at step 1; under 2.5e-3 from step 3 on)."""
    images, _ = load_mnist("train", mnist_dir, allow_download=False)
    batches = to_gan_range(images[:20 * 32], np.float32).reshape(20, 32, 28, 28, 1)
    recipe, rng = RECIPES["default"], np.random.default_rng(7)
    mine = GAN(recipe, rng, K, np.float32, precision="bf16")
    torch.set_num_threads(1)
    twin = TwinGAN.from_recipe({k: v.copy() for k, v in mine.named_arrays().items()}, recipe, torch.float32,
                               bf16_products=True)
    worst = {"d_loss": 0.0, "g_loss": 0.0, "parameters": 0.0}
    for i in range(20):
        twin.load_minigan_state(mine.state())
        z = rng.standard_normal((32, 100)).astype(np.float32)
        a, b = mine.train_step(batches[i], z), twin.train_step(batches[i], z)
        for k in ("d_loss", "g_loss"):
            worst[k] = max(worst[k], abs(a[k] - b[k]) / abs(b[k]))
        theirs = twin.weights()
        worst["parameters"] = max([worst["parameters"]] + [norm_rel(v, theirs[k]) for k, v in mine.named_arrays().items()])
    print("bf16 teacher-forced, worst errors:", ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    assert worst["d_loss"] < np.sqrt(1e-5) / 8 and worst["g_loss"] < np.sqrt(1e-4) / 8, worst
    assert worst["parameters"] < 4 * np.sqrt(1e-2) / 8, worst


def test_precision_bf16_is_refused_where_it_cannot_run_before_anything_is_written(tmp_path, capsys):
    """--dtype float64, --device cuda, --kernels, and --resume of a run at the other precision:
    exit 2, a message naming the clash, no file written."""
    from minigan.cli import main

    refusals = {("--dtype", "float64"): "does not combine with --dtype float64",
                ("--device", "cuda"): "cpu only, until a machine with an NVIDIA GPU",
                ("--kernels", "reference"): "--kernels reference computes in float32 or float64"}
    for (option, value), message in refusals.items():
        out = tmp_path / value
        assert main(["train", "--precision", "bf16", option, value, "--out", str(out)]) == 2
        assert message in capsys.readouterr().err and not out.exists()
    assert main(["bench", "--precision", "bf16", "--device", "cuda"]) == 2
    assert "cpu only" in capsys.readouterr().err


def test_resuming_at_another_precision_is_refused(tmp_path, mnist_dir, capsys):
    from minigan.cli import main
    from minigan.config import TrainConfig
    from minigan.train import resume_config, train

    train(TrainConfig(epochs=1, batch_size=8, limit=16, n_samples=4, precision="bf16"), tmp_path, data=mnist_dir,
          log=lambda *_: None)
    assert resume_config(tmp_path, {"precision": None}).precision == "bf16"  # the checkpoint keeps it
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir())
    assert main(["train", "--resume", "--precision", "float32", "--epochs", "2", "--out", str(tmp_path),
                 "--data", str(mnist_dir)]) == 2
    assert "precision='bf16', not 'float32'" in capsys.readouterr().err
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir()) == before
