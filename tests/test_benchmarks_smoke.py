"""A tiny slice of the benchmark suite and its report, so neither rots (timings not judged)."""

import json
import subprocess
import sys

from conftest import REPO


def test_benchmark_slice_and_report(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "pytest", "benchmarks", "-p", "no:cacheprovider", "--benchmark-enable",
           f"--benchmark-json={out}", "-k", "(D.conv3 and forward and 32 and not reference) or (adam and G)"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "minigan benchmarks: blas=" in proc.stdout  # the BLAS kernel in use is printed
    data = json.loads(out.read_text())
    engines = {b["extra_info"]["engine"] for b in data["benchmarks"]}
    assert {"minigan", "numpy", "torch", "memory-floor"} <= engines
    assert all(b["stats"]["median"] > 0 for b in data["benchmarks"])
    proc = subprocess.run([sys.executable, "benchmarks/report.py", str(out), "--out", str(tmp_path / "rep")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "rep" / "table.md").read_text()
    assert "| D.conv3 forward | 32 |" in table and "| adam G |" in table and "(×1.00)" in table
    assert (tmp_path / "rep" / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_command_json(capsys):
    from minigan.cli import main

    assert main(["bench", "--batch-size", "4", "--steps", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("median_ms", "p99_ms", "batch_size", "steps", "threads"):
        assert key in result
    assert result["batch_size"] == 4 and result["steps"] == 3 and result["median_ms"] > 0
