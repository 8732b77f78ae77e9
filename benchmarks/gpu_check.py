"""The GPU check: one command, prepared to finish within 5 minutes on an H200.

    python benchmarks/gpu_check.py [--data DIR] [--out DIR]

It needs no install and no network: run from the checkout (it puts the checkout on the path),
with MNIST read from --data, else from .mnist/ in the checkout (git-ignored; copy
../shared/data/mnist/*.gz there before the machine is asked for, and carry the folder).
1. tests/test_cuda_kernels.py on the real GPU (NUMBA_ENABLE_CUDASIM=0);
2. CUDA against CPU at the documented sizes, batch 32, 3 training steps from the same weights,
   batches and noise, for every recipe (documented; default: spectral norm; sharp: BatchNorm,
   leaky ReLU, spectral norm, averaged G) and for sharp with the other departures the ablation
   tried (dropout, minibatch stddev): losses compared;
3. tiled against naive (dense) and direct (conv2d) kernels, forward + backward of every GAN
   layer at batch 32 and 256, each timed;
4. one epoch of the default recipe on the GPU and on the CPU from the same state: the first 20
   steps' losses and the epoch's mean losses compared;
5. the training step at batch 32 and 256 for documented and default, minigan CUDA against
   PyTorch CUDA eager (TF32 off), in the same run.
Everything goes to OUT/gpu_check.json.

--tiny shrinks parts 2, 3 and 5 to small models, one recipe each, and skips 1 and 4, so that the script itself
is exercised under the CUDA simulator in CI (tests/test_gpu_check_script.py).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def log(msg):
    print(msg, flush=True)


def run_cuda_tests():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "tests/test_cuda_kernels.py"], cwd=REPO, env=env,
                          capture_output=True, text=True)
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]
    log(f"[1] CUDA kernel tests on the GPU: {tail}")
    return {"returncode": proc.returncode, "summary": tail}


TINY = dict(g_widths=(4, 4, 4), d_channels=(2, 2, 2))


def recipes():
    import dataclasses

    from minigan.recipes import RECIPES

    every = dataclasses.replace(RECIPES["sharp"], d_minibatch_std=True, d_dropout=0.3)
    return {**RECIPES, "sharp+every-candidate": every}


def parity(tiny, steps=3, batch=32):
    import numpy as np

    import kernels.cpu as CPU
    import kernels.cuda as GPU
    from minigan.gan import GAN

    sizes = TINY if tiny else {}
    batch = 4 if tiny else batch
    out = {}
    # tiny: the recipe whose kernels include every other's, alone (each simulated step is slow)
    cases = {k: v for k, v in recipes().items() if not tiny or k == "sharp+every-candidate"}
    for name, recipe in cases.items():
        cpu = GAN(recipe, np.random.default_rng(0), CPU, **sizes)
        gpu = GAN(recipe, np.random.default_rng(0), GPU, **sizes)
        rng = np.random.default_rng(1)
        worst = 0.0
        for _ in range(1 if tiny else steps):
            real = rng.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32)
            z = rng.standard_normal((batch, 100)).astype(np.float32)
            a, b = cpu.train_step(real, z), gpu.train_step(real, z)
            worst = max(worst, *(abs(a[k] - b[k]) / max(abs(a[k]), 1e-12) for k in ("d_loss", "g_loss")))
        log(f"[2] CUDA vs CPU, recipe {name}, batch {batch}: worst relative loss difference {worst:.2e}")
        out[name] = worst
    return {"batch": batch, "worst_loss_rel_diff": out}


def variants(tiny, repeats=20):
    """Median ms of forward + backward of each GAN layer, tiled (the contract's kernels) against
    the readable one-thread-per-output kernels (kernels/cuda/dense.py, kernels/cuda/conv2d.py)."""
    import numpy as np
    from numba import cuda

    import kernels.cuda as GPU
    from kernels.conv_geometry import conv_geometry, output_shape
    from kernels.cuda.conv2d import conv2d_backward_reference, conv2d_forward_reference
    from kernels.cuda.dense import dense_backward_reference, dense_forward_reference
    from kernels.specs import ConvSpec, DenseSpec

    layers = [("dense", (100,), (100, 128)), ("dense", (512,), (512, 784)), ("conv", (28, 28, 1), (3, 3, 1, 128)),
              ("conv", (9, 9, 128), (3, 3, 128, 256)), ("conv", (3, 3, 256), (3, 3, 256, 512))]
    if tiny:
        layers = [("dense", (5,), (5, 3)), ("conv", (6, 6, 1), (3, 3, 1, 2))]
    dense, conv = DenseSpec(), ConvSpec(3, "valid")  # D's convolutions: k3 s3, no padding
    kinds = {  # each variant: (x, w, b, dy) -> the forward, then the backward
        "dense": {"tiled": lambda x, w, b, dy: GPU.dense_backward(dy, GPU.dense_forward(x, w, b, dense)[1]),
                  "naive": lambda x, w, b, dy: (dense_forward_reference(x, w, b), dense_backward_reference(dy, x, w))},
        "conv": {"tiled": lambda x, w, b, dy: GPU.conv2d_backward(dy, GPU.conv2d_forward(x, w, b, conv)[1]),
                 "direct": lambda x, w, b, dy: (conv2d_forward_reference(x, w, b, conv.stride, conv.padding),
                                                conv2d_backward_reference(dy, x, w, conv.stride, conv.padding))}}
    rng = np.random.default_rng(0)
    out = {}
    for batch in ((2,) if tiny else (32, 256)):
        for kind, in_shape, w_shape in layers:
            x = cuda.to_device(rng.standard_normal((batch, *in_shape)).astype(np.float32))
            w = cuda.to_device((rng.standard_normal(w_shape) * 0.05).astype(np.float32))
            b = cuda.to_device(np.zeros(w_shape[-1], np.float32))
            y_shape = ((batch, w_shape[-1]) if kind == "dense" else output_shape(
                conv_geometry("gpu_check", x.shape, w_shape, conv.stride, conv.padding), batch, w_shape[-1]))
            dy = cuda.to_device(np.ones(y_shape, np.float32))
            for variant, passes in kinds[kind].items():
                times = []
                for _ in range(1 if tiny else repeats + 2):
                    cuda.synchronize()
                    t = time.perf_counter()
                    passes(x, w, b, dy)
                    cuda.synchronize()
                    times.append(time.perf_counter() - t)
                key = f"{kind} {w_shape} b{batch} {variant}"
                out[key] = float(np.median(times[2:] if not tiny else times) * 1e3)
                log(f"[3] {key}: {out[key]:.3f} ms forward + backward")
    return out


def one_epoch(data, out):
    """The default recipe, one epoch, on the GPU and then on the CPU from the same seed."""
    from minigan.config import TrainConfig
    from minigan.train import epoch_means, train

    report = {}
    rows = {}
    for device in ("cuda", "cpu"):
        config = TrainConfig(recipe="default", epochs=1, device=device, n_samples=16)
        t = time.perf_counter()
        rows[device] = train(config, Path(out) / device, data=data, log=log)
        report[f"{device}_seconds"] = time.perf_counter() - t
    n = len(rows["cuda"])
    first = max(abs(a[k] - b[k]) / abs(b[k]) for a, b in zip(rows["cuda"][:20], rows["cpu"][:20])
                for k in ("d_loss", "g_loss"))
    means = {d: epoch_means(r) for d, r in rows.items()}
    mean_diff = max(abs(means["cuda"][k] - means["cpu"][k]) / abs(means["cpu"][k]) for k in ("d_loss", "g_loss"))
    report.update(steps=n, first_20_steps_worst_rel_diff=first, epoch_mean_worst_rel_diff=mean_diff,
                  means=means, cuda_steps_per_s=n / report["cuda_seconds"])
    log(f"[4] 1 epoch of the default recipe: GPU {report['cuda_seconds']:.1f} s, CPU {report['cpu_seconds']:.1f} s; "
        f"first 20 steps' losses within {first:.1e} (target 1e-3), epoch means within {mean_diff:.1%} (target 5 %)")
    return report


def step_times(tiny):
    import numpy as np
    from numba import cuda

    from minigan.bench import time_steps

    results = {}
    cases = [("default", 2)] if tiny else [(r, b) for r in ("documented", "default") for b in (32, 256)]
    for recipe, batch in cases:
        sizes = TINY if tiny else {}
        # tiny (the simulator): one step, its compilation included; it shows only that the path runs
        _, times = time_steps(batch, 1 if tiny else 100, device="cuda", recipe=recipe, warmup=0 if tiny else 3,
                                  **sizes)
        cuda.synchronize()
        key = f"{recipe}_b{batch}"
        results[f"minigan_cuda_{key}_median_ms"] = float(np.median(times) * 1e3)
        try:
            import torch

            if not torch.cuda.is_available():
                raise ImportError("torch has no CUDA here")
            torch.backends.cuda.matmul.allow_tf32 = False  # fair: full float32 on both sides
            torch.backends.cudnn.allow_tf32 = False
            import kernels.cpu as CPU
            from benchmarks.torch_twin import TwinGAN
            from minigan.gan import GAN
            from minigan.recipes import RECIPES

            mine = GAN(RECIPES[recipe], np.random.default_rng(0), CPU)
            twin = TwinGAN.from_recipe(mine.state(), RECIPES[recipe],
                                       mask_keys=[layer.key for layer in mine.dropouts()])
            twin.G.cuda()
            twin.D.cuda()
            real = torch.rand(batch, 28, 28, 1, device="cuda") * 2 - 1
            z = torch.randn(batch, 100, device="cuda")
            twin.dtype = torch.float32
            ts = []
            for i in range(1 if tiny else 120):
                torch.cuda.synchronize()
                t = time.perf_counter()
                twin.train_step(real, z)
                torch.cuda.synchronize()
                if tiny or i >= 20:
                    ts.append(time.perf_counter() - t)
            results[f"torch_cuda_{key}_median_ms"] = float(np.median(ts) * 1e3)
        except ImportError as err:
            results[f"torch_cuda_{key}_median_ms"] = None
            log(f"    (PyTorch CUDA not timed: {err})")
        log(f"[5] {recipe}, batch {batch}: minigan CUDA {results[f'minigan_cuda_{key}_median_ms']:.2f} ms/step, "
            f"PyTorch CUDA {results[f'torch_cuda_{key}_median_ms']} ms/step")
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="MNIST folder (default: .mnist/ in the checkout)")
    p.add_argument("--out", default="runs/gpu_check")
    p.add_argument("--tiny", action="store_true", help="small everything, for the simulator")
    args = p.parse_args(argv)
    from numba import cuda

    device = cuda.get_current_device() if cuda.is_available() else None
    report = {"device": str(getattr(device, "name", "CUDA simulator" if device else "none")),
              "simulator": os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"}
    log(f"GPU check on {report['device']}")
    if not args.tiny:
        report["tests"] = run_cuda_tests()
    report["parity"] = parity(args.tiny)
    report["variants"] = variants(args.tiny)
    if not args.tiny:  # the trainer's device path at full size; too slow for the simulator
        report["epoch"] = one_epoch(args.data or REPO / ".mnist", Path(args.out) / "train")
    report["step_times"] = step_times(args.tiny)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(json.dumps(report, indent=2))
    log(json.dumps(report))
    ok = max(report["parity"]["worst_loss_rel_diff"].values()) < 1e-4 and report.get("tests", {}).get("returncode", 0) == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
