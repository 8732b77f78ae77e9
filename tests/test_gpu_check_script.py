"""The GPU check script runs (its --tiny form, under the CUDA simulator), so it is ready
for the sessions that are lent a GPU."""

import json
import os
import subprocess
import sys

from conftest import REPO


def test_gpu_check_tiny_under_the_simulator(tmp_path):
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--tiny", "--out", str(tmp_path)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["simulator"] and set(report["parity"]["worst_loss_rel_diff"]) == {"sharp+every-candidate"}
    assert max(report["parity"]["worst_loss_rel_diff"].values()) < 1e-4
    assert {k.rsplit(" ", 1)[1] for k in report["variants"]} == {"tiled", "naive", "direct"}
    assert report["step_times"]["minigan_cuda_default_b2_median_ms"] > 0
