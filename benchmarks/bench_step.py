"""The full training step (D step + G step, Adam) and the Adam updates alone, per engine."""

import numpy as np
import pytest

import kernels.cpu as K
from benchmarks.bench_layers import CONTRACT_ENGINES
from benchmarks.conftest import TF_ENGINES, need, run, tensorflow
from kernels.specs import AdamSpec
from minigan.gan import GAN
from minigan.recipes import RECIPES

ENGINES = [*CONTRACT_ENGINES, "torch", *TF_ENGINES]  # minigan's GAN runs on each contract engine, as ops
BF16_ENGINES = ["minigan-bf16", "torch-bf16"]  # bfloat16 products: --precision bf16, and PyTorch's CPU autocast
GPU_ENGINES = ["minigan-cuda", "torch-cuda"]


def need_gpu():
    """A real GPU, or skip: the CUDA simulator would time Python threads, not a GPU."""
    from numba import config, cuda

    if config.ENABLE_CUDASIM or not cuda.is_available():
        pytest.skip("no CUDA GPU here (or only the simulator): GPU engines are timed on GPU machines")


def step_flops(batch):
    """Analytic FLOPs of one step as autograd frameworks do it: G forward (g); D forward and
    backward (dx and dw) on the 2B batch (2d + 4d); D forward and backward on B (d + 2d);
    G backward (2g). g and d are the forward FLOPs of G and D on B samples."""
    g_macs = 100 * 128 + 128 * 256 + 256 * 512 + 512 * 784
    d_macs = 81 * 9 * 128 + 9 * 9 * 128 * 256 + 9 * 256 * 512 + 512
    g = 2 * g_macs * batch
    d = 2 * d_macs * batch
    return 3 * g + 9 * d


def batch_data(batch):
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32), rng.standard_normal((batch, 100)).astype(np.float32)


def step_function(engine, batch):
    """-> a function that runs one step of the documented recipe on `engine` at `batch`, from
    the same weights and data on every engine. "minigan-reference" is minigan's GAN on its
    readable engine (kernels.reference: plain loops, one step at a time); "floor" runs only the
    step's matrix products and Adam's traffic (benchmarks/floors.py), the least any engine with
    these GEMMs can take. A GPU engine waits for its device at the end of each step."""
    real, z = batch_data(batch)
    if engine == "floor":
        from benchmarks.floors import step_floor

        gan = GAN(RECIPES["documented"], np.random.default_rng(0), K)
        return step_floor(batch, sum(v.size for net in (gan.G, gan.D) for v in net.params().values()))
    if engine.endswith("cuda"):
        need_gpu()
    if engine == "minigan-cuda":
        from numba import cuda

        from minigan.backends import get

        gan = GAN(RECIPES["documented"], np.random.default_rng(0), get("cuda"))
        return lambda: (gan.train_step(real, z), cuda.synchronize())
    if engine in CONTRACT_ENGINES or engine == "minigan-bf16":
        ops, precision = (K, "bf16") if engine == "minigan-bf16" else (CONTRACT_ENGINES[engine], "float32")
        gan = GAN(RECIPES["documented"], np.random.default_rng(0), ops, precision=precision)
        return lambda: gan.train_step(real, z)
    weights = GAN(RECIPES["documented"], np.random.default_rng(0), K).state()  # the twins start from minigan's
    if engine == "torch-cuda":
        torch = need("torch", "PyTorch is not installed")
        if not torch.cuda.is_available():
            pytest.skip("this PyTorch has no CUDA")
        from benchmarks.torch_twin import TwinGAN

        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False  # full float32, as minigan
        twin = TwinGAN.from_recipe(weights, RECIPES["documented"])
        twin.G.cuda()
        twin.D.cuda()
        rt, zt = torch.tensor(real, device="cuda"), torch.tensor(z, device="cuda")
        return lambda: (twin.train_step(rt, zt), torch.cuda.synchronize())
    if engine in ("torch", "torch-bf16"):
        torch = need("torch", "PyTorch is not installed: pip install torch==2.13.0")
        from benchmarks.torch_twin import TwinGAN

        twin = TwinGAN.from_recipe(weights, RECIPES["documented"])
        if engine == "torch":
            return lambda: twin.train_step(real, z)

        def autocast_step():  # PyTorch's mixed precision on the CPU: products in bfloat16, float32 weights
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return twin.train_step(real, z)

        return autocast_step
    elif engine in TF_ENGINES:
        tensorflow(engine)  # pins its pools before the twin's first op
        from benchmarks.keras_twin import KerasGAN

        gan = KerasGAN(weights, mode=engine.removeprefix("tf-"))
    else:
        raise ValueError(f"no engine {engine!r}; the engines are {', '.join(ENGINES + BF16_ENGINES + GPU_ENGINES + ['floor'])}")
    return lambda: gan.train_step(real, z)


@pytest.mark.parametrize("engine", ENGINES + BF16_ENGINES + GPU_ENGINES + ["floor"])
@pytest.mark.parametrize("batch", [32, 256])
def test_train_step(benchmark, batch, engine):
    """One step of the documented recipe per engine (step_function)."""
    run(benchmark, step_function(engine, batch), f"train step b{batch}", engine, step_flops(batch),
        case="train step", batch=batch)


@pytest.mark.parametrize("engine", ENGINES + ["floor"])
@pytest.mark.parametrize("net", ["G", "D"])
def test_adam_update(benchmark, net, engine):
    """Adam over every parameter of G or D; "floor" moves the same bytes with no
    arithmetic to speak of (benchmarks/floors.py): how close Adam is to memory bandwidth."""
    gan = GAN(RECIPES["documented"], np.random.default_rng(0), K)
    params = (gan.G if net == "G" else gan.D).params()
    rng = np.random.default_rng(1)
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) * 1e-3 for k, v in params.items()}
    size = sum(v.size for v in params.values())
    if engine == "torch":
        torch = need("torch", "PyTorch is not installed: pip install torch==2.13.0")
        ps = [torch.tensor(v, requires_grad=True) for v in params.values()]
        for p, g in zip(ps, grads.values()):
            p.grad = torch.tensor(g)
        opt = torch.optim.Adam(ps, lr=2e-4, betas=(0.5, 0.999))
        fn = opt.step
    elif engine in TF_ENGINES:  # Keras' Adam, in the engine's mode
        tf, compile_fn = tensorflow(engine)
        import keras

        from benchmarks.keras_twin import keras_adam

        opt = keras_adam("float32")
        variables = [keras.Variable(v) for v in params.values()]
        opt.build(variables)
        tf_grads = [tf.constant(g) for g in grads.values()]
        apply = compile_fn(lambda: opt.apply_gradients(zip(tf_grads, variables)))

        def fn():
            apply()
            return variables[-1].numpy()  # waits for the update
    elif engine == "floor":
        from benchmarks.floors import adam_traffic

        flat = [np.zeros(size, np.float32) for _ in range(4)]
        flat[1][:] = np.concatenate([g.ravel() for g in grads.values()])

        def fn():
            adam_traffic(*flat)
    else:
        ops = CONTRACT_ENGINES[engine]
        state = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
        spec = AdamSpec(2e-4, 0.5, 0.999, 1e-8)
        t = [0]

        def fn():
            t[0] += 1
            for k, p in params.items():
                ops.adam_update(p, grads[k], *state[k], t[0], spec)

    run(benchmark, fn, f"adam {net}", engine, 12 * size, case=f"adam {net}", batch=0, params=size)
