"""Every example runs (short settings), so none rots."""

import re
import subprocess
import sys

from conftest import REPO
from kernels.cpu.gemm import BLAS_NAME


def run(*args, timeout=600):
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_gradcheck_tour():
    out = run("examples/gradcheck_tour.py")
    assert "every backward agrees with finite differences (< 1e-07)" in out
    for kernel in ("batchnorm", "dropout (key fixed)", "minibatch stddev", "softmax cross-entropy",
                   "dense + fused leaky_relu", "spectral norm (u, v fixed)"):
        assert kernel in out
    assert "caught: dW's error is of order 1" in out


def test_kernel_ladder():
    out = run("examples/kernel_ladder.py", "--batch", "2", "--repeat", "1")
    for rung in ("readable loops (kernels.reference)", "minigan fast", "plain NumPy", "PyTorch"):
        assert rung in out
    assert "every rung agrees with the loops" in out
    assert re.search(rf"gemm_into's {BLAS_NAME} x\d+, Numba x", out)  # the GEMMs' BLAS, MKL where installed


def test_train_then_interpolate(mnist_dir, tmp_path):
    out = run("examples/train_gan.py", "--limit", "128", "--epochs", "1", "--data", str(mnist_dir), "--out", str(tmp_path / "run"))
    assert "epoch 1/1" in out and (tmp_path / "run" / "checkpoint.npz").is_file()
    out = run("examples/interpolate.py", "--checkpoint", str(tmp_path / "run" / "checkpoint.npz"), "--rows", "2",
              "--steps", "4", "--out", str(tmp_path / "interp.png"))
    assert (tmp_path / "interp.png").read_bytes()[:4] == b"\x89PNG"
    out = run("examples/gradient_directions.py", str(tmp_path / "run" / "checkpoint.npz"), "--n", "16")
    d_fake, grad_norm, cos_grad, spread = map(float, out.strip().splitlines()[-1].split()[-4:])
    assert 0 < d_fake < 1 and grad_norm > 0 and -1 <= cos_grad <= 1 and spread > 0


def test_ablation(mnist_dir, tmp_path):
    out = run("examples/ablation.py", "--variants", "documented,default", "--limit", "256", "--samples", "50",
              "--data", str(mnist_dir), "--out", str(tmp_path))
    assert "documented" in out and "default" in out
    assert (tmp_path / "default_epoch1.png").is_file()


def test_step_through_runs_a_real_step_in_the_readable_loops_as_python(mnist_dir):
    """With the compiler off, one training step on the readable engine, and a debugger that
    stops inside relu_backward's loop and prints what it sees there."""
    proc = subprocess.run([sys.executable, "examples/step_through.py", "--data", str(mnist_dir), "--break",
                           "relu_backward"], cwd=REPO, capture_output=True, text=True, timeout=300,
                          input="s\nn\nn\np dy.shape, type(dy).__name__\nc\n")
    assert proc.returncode == 0, proc.stderr
    assert "kernels/reference/activations.py" in proc.stdout and "relu_backward()" in proc.stdout
    assert "'ndarray')" in proc.stdout  # the debugger printed a real array inside the loop
    assert "one step on the readable engine, in plain Python: d_loss" in proc.stdout


def test_compare_runs_draws_and_tabulates_two_recorded_runs(mnist_dir, tmp_path):
    from minigan.cli import main

    for recipe in ("documented", "default"):
        assert main(["train", "--recipe", recipe, "--limit", "96", "--epochs", "1", "--record", "1", "--data",
                     str(mnist_dir), "--out", str(tmp_path / recipe)]) == 0
    out = run("examples/compare_runs.py", str(tmp_path / "documented"), str(tmp_path / "default"),
              "--out", str(tmp_path / "compare.png"))
    assert (tmp_path / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert "| | documented | default |" in out
    assert "| last epoch: median D/conv3 sigma | – |" in out  # only the default has spectral norm
    assert "| first step cos(g) > 0.9 |" in out
