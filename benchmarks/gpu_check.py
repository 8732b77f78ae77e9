"""The GPU check: one command, under 8 minutes on an H200.

    python benchmarks/gpu_check.py --data DIR [--out DIR]

1. runs tests/test_cuda_kernels.py on the real GPU (NUMBA_ENABLE_CUDASIM=0);
2. CUDA against CPU at the documented sizes: 3 training steps of the documented GAN at
   batch 32 from the same weights, batches and noise, losses compared;
3. trains 1 epoch of the documented GAN on the device (python -m minigan train --device cuda);
4. times the training step at batch 32 and 256: minigan CUDA and PyTorch CUDA (TF32 off),
   in the same run, and writes everything to OUT/gpu_check.json.

--tiny shrinks parts 2 and 4 to a small model and skips 1 and 3, so that the script itself
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


def parity(tiny, steps=3, batch=32):
    import numpy as np

    import kernels.cpu as CPU
    import kernels.cuda as GPU
    from minigan.gan import GAN
    from minigan.train import RECIPES

    sizes = dict(g_widths=(4, 4, 4), d_channels=(2, 2, 2)) if tiny else {}
    batch = 2 if tiny else batch
    cpu = GAN(RECIPES["documented"], np.random.default_rng(0), CPU, **sizes)
    gpu = GAN(RECIPES["documented"], np.random.default_rng(0), GPU, **sizes)
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(1 if tiny else steps):
        real = rng.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32)
        z = rng.standard_normal((batch, 100)).astype(np.float32)
        a, b = cpu.train_step(real, z), gpu.train_step(real, z)
        worst = max(worst, *(abs(a[k] - b[k]) / max(abs(a[k]), 1e-12) for k in ("d_loss", "g_loss")))
    log(f"[2] CUDA vs CPU, documented GAN, batch {batch}: worst relative loss difference {worst:.2e}")
    return {"batch": batch, "worst_loss_rel_diff": worst}


def one_epoch(data, out):
    from minigan.train import TrainConfig, train

    config = TrainConfig(recipe="documented", epochs=1, device="cuda", n_samples=16)
    t = time.perf_counter()
    rows = train(config, out, data=data, log=log)
    seconds = time.perf_counter() - t
    log(f"[3] 1 epoch on the GPU: {len(rows)} steps in {seconds:.1f} s ({len(rows) / seconds:.1f} steps/s)")
    return {"steps": len(rows), "seconds": seconds, "last_d_loss": rows[-1]["d_loss"], "last_g_loss": rows[-1]["g_loss"]}


def step_times(tiny):
    import numpy as np
    from numba import cuda

    from minigan.bench import time_steps

    results = {}
    for batch in ((2,) if tiny else (32, 256)):
        sizes = dict(g_widths=(4, 4, 4), d_channels=(2, 2, 2)) if tiny else {}
        first, times = time_steps(batch, 1 if tiny else 200, device="cuda", warmup=1 if tiny else 3, **sizes)
        cuda.synchronize()
        results[f"minigan_cuda_b{batch}_median_ms"] = float(np.median(times) * 1e3)
        try:
            import torch

            if not torch.cuda.is_available():
                raise ImportError("torch has no CUDA here")
            torch.backends.cuda.matmul.allow_tf32 = False  # fair: full float32 on both sides
            torch.backends.cudnn.allow_tf32 = False
            from benchmarks.torch_twin import TwinGAN
            import kernels.cpu as CPU
            from minigan.gan import GAN
            from minigan.train import RECIPES

            twin = TwinGAN.from_recipe(GAN(RECIPES["documented"], np.random.default_rng(0), CPU).state(), RECIPES["documented"])
            twin.G.cuda()
            twin.D.cuda()
            real = torch.rand(batch, 28, 28, 1, device="cuda") * 2 - 1
            z = torch.randn(batch, 100, device="cuda")
            twin.dtype = torch.float32
            ts = []
            for i in range(220):
                torch.cuda.synchronize()
                t = time.perf_counter()
                twin.train_step(real, z)
                torch.cuda.synchronize()
                if i >= 20:
                    ts.append(time.perf_counter() - t)
            results[f"torch_cuda_b{batch}_median_ms"] = float(np.median(ts) * 1e3)
        except ImportError as err:
            results[f"torch_cuda_b{batch}_median_ms"] = None
            log(f"    (PyTorch CUDA not timed: {err})")
        log(f"[4] batch {batch}: minigan CUDA {results[f'minigan_cuda_b{batch}_median_ms']:.2f} ms/step, "
            f"PyTorch CUDA {results[f'torch_cuda_b{batch}_median_ms']} ms/step")
    return results


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="MNIST folder")
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
    if not args.tiny:  # the trainer's device path at full size; too slow for the simulator
        report["epoch"] = one_epoch(args.data, Path(args.out) / "train")
    report["step_times"] = step_times(args.tiny)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "gpu_check.json").write_text(json.dumps(report, indent=2))
    log(json.dumps(report))
    ok = report["parity"]["worst_loss_rel_diff"] < 1e-4 and report.get("tests", {}).get("returncode", 0) == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
