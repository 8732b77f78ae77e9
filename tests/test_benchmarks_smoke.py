"""A tiny slice of the benchmark suite and its report, so neither rots (timings not judged)."""

import json
import os
import subprocess
import sys

from conftest import REPO

from kernels import OPENMP_IDLE
from kernels.cpu.gemm import BLAS_NAME


def run_slice(out, select, **env):
    cmd = [sys.executable, "-m", "pytest", "benchmarks", "-p", "no:cacheprovider", "--benchmark-enable",
           f"--benchmark-json={out}", "-k", select]
    env = {**{k: v for k, v in os.environ.items() if k not in OPENMP_IDLE}, "MINIGAN_BENCH_SECONDS": "0.2", **env}
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "minigan benchmarks: blas=" in proc.stdout  # the BLAS kernel in use is printed
    return json.loads(out.read_text())


def test_benchmark_slice_and_report(tmp_path):
    """The suite as the README runs it: minigan (the fast engine and the readable one, whose
    whole step runs its few rounds too), NumPy and the floors under PASSIVE; PyTorch in a second
    process under libgomp's default policy; TensorFlow's three modes in a third; one report from
    the three files."""
    cases = "((D.conv3 and forward and 32 and not reference) or (adam and G))"
    readable_step = "(test_train_step and 32 and reference)"
    mine = run_slice(tmp_path / "bench.json", f"({cases} or {readable_step}) and not torch and not tf")
    torch = run_slice(tmp_path / "bench-torch.json", f"{cases} and torch", MINIGAN_BENCH_OMP="default")
    tf = run_slice(tmp_path / "bench-tf.json", "D.conv3 and forward and 32 and tf")
    assert {b["extra_info"]["engine"] for b in mine["benchmarks"]} == {"minigan", "minigan-reference", "numpy", "floor"}
    steps = [b for b in mine["benchmarks"] if b["extra_info"]["case"] == "train step"]
    assert [(b["extra_info"]["engine"], b["extra_info"]["batch"]) for b in steps] == [("minigan-reference", 32)]
    assert {b["extra_info"]["engine"] for b in torch["benchmarks"]} == {"torch"}
    assert {b["extra_info"]["engine"] for b in tf["benchmarks"]} == {"tf-eager", "tf-function", "tf-xla"}
    spin = OPENMP_IDLE["GOMP_SPINCOUNT"]
    assert mine["machine_info"]["minigan"]["OpenMP idle policy"] == f"PASSIVE, GOMP_SPINCOUNT={spin}"
    assert torch["machine_info"]["minigan"]["OpenMP idle policy"].startswith("libgomp default")
    assert all(b["stats"]["median"] > 0 for b in mine["benchmarks"] + torch["benchmarks"] + tf["benchmarks"])
    files = [str(tmp_path / f"bench{suffix}.json") for suffix in ("", "-torch", "-tf")]
    proc = subprocess.run([sys.executable, "benchmarks/report.py", *files, "--out", str(tmp_path / "rep")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "rep" / "table.md").read_text()
    assert "| D.conv3 forward | 32 |" in table and "| adam G |" in table and "| train step | 32 |" in table
    assert "| minigan | minigan-reference | numpy | torch |" in table and "(×1.00)" in table
    assert "| tf-eager | tf-function | tf-xla |" in table
    assert "OpenMP idle policy: PASSIVE" in table and "OpenMP idle policy: libgomp default" in table
    assert (tmp_path / "rep" / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_load_benchmark_starts_and_stops_its_competitor(tmp_path):
    """benchmarks/bench_load.py, idle and beside its Python loop, a few steps: every case has its
    p99, the report tables it against idle, and no competitor outlives the run."""
    marker = f"MINIGAN_BENCH_LOAD_SECONDS={tmp_path.name}"  # tells this run's competitor apart
    data = run_slice(tmp_path / "load.json", "bench_load and (test_train_step_under_load and minigan or GEMM) and (idle or python-loop)",
                     MINIGAN_BENCH_LOAD_STEPS="6", MINIGAN_BENCH_LOAD_WARM="0.5", MINIGAN_BENCH_LOAD_SECONDS="120",
                     MINIGAN_BENCH_LOAD_MARKER=marker)
    steps = [b for b in data["benchmarks"] if "owner" not in b["extra_info"]]
    cases = {b["extra_info"]["load"]: b for b in steps}
    assert set(cases) == {"idle", "python-loop"} and len(data["benchmarks"]) == len(steps) + 4  # GEMM: 2 loads x 2 counts
    assert all(b["extra_info"]["p99"] >= b["stats"]["median"] > 0 for b in cases.values())
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert left.stdout == "", f"a competitor outlived the benchmark: {left.stdout}"
    proc = subprocess.run([sys.executable, "benchmarks/report.py", str(tmp_path / "load.json"), "--out",
                           str(tmp_path / "rep")], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "rep" / "table.md").read_text()
    assert "| minigan | idle |" in table and "| minigan | python-loop |" in table and "(×1.00)" in table
    assert f"| conv2 GEMM 576x1152x256 | {BLAS_NAME} | idle |" in table  # the owner table


def test_step_rounds_and_its_headline(tmp_path):
    """benchmarks/step_rounds.py, two short rounds of minigan and PyTorch (each in its own worker,
    under its own OpenMP policy) idle and beside the Python loop, then report.py's headline from
    it: every turn timed, each loaded step set against the same engine idle, every panel titled
    with the machine and the rounds."""
    env = {**{k: v for k, v in os.environ.items() if k not in OPENMP_IDLE}, "MINIGAN_BENCH_LOAD_WARM": "0.5"}
    out = tmp_path / "rounds.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.step_rounds", "--rounds", "2", "--seconds", "0.05",
                           "--min-steps", "2", "--engines", "minigan", "torch", "--batch-sizes", "32",
                           "--loads", "python-loop", "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["rounds"] == 2 and doc["machine"]["cores"] == os.cpu_count()
    assert {e: [len(t) for t in by_batch.values()] for e, by_batch in doc["steps_s"].items()} == {"minigan": [2], "torch": [2]}
    assert doc["env"]["minigan"]["OpenMP idle policy"].startswith("PASSIVE")
    assert doc["env"]["torch"]["OpenMP idle policy"].startswith("libgomp default")
    assert all(len(r) == 2 and min(r) > 0 for by_load in doc["loaded_vs_idle"].values() for r in by_load.values())
    proc = subprocess.run([sys.executable, "benchmarks/report.py", "--rounds", str(out), "--out", str(tmp_path / "rep")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    table = (tmp_path / "rep" / "step.md").read_text()
    assert "the median of 2 alternating rounds" in table and doc["machine"]["cpu"] in table
    assert "| minigan | " in table and "×1.00 of PyTorch" in table and "| minigan | ×" in table  # idle, then loaded
    assert (tmp_path / "rep" / "step.png").read_bytes()[:4] == b"\x89PNG"


def test_bench_command_json(capsys):
    from minigan.cli import main

    assert main(["bench", "--batch-size", "4", "--steps", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("median_ms", "p99_ms", "batch_size", "steps", "threads"):
        assert key in result
    assert result["batch_size"] == 4 and result["steps"] == 3 and result["median_ms"] > 0


def test_bench_profile_accounts_for_the_step(capsys):
    from minigan.bench import run_profile

    step, rows = run_profile(4, 3)
    kernels = {name for _, name, _, _ in rows}
    assert {"conv2d_forward", "conv2d_backward", "dense_forward", "adam_update", "bce_with_logits_forward"} <= kernels
    calls = {(name, shape): n for _, name, shape, n in rows}
    conv = "conv2d_forward"
    assert calls[(conv, (8, 28, 28, 1))] == 1 and calls[(conv, (4, 28, 28, 1))] == 1  # D on 2B, then on B
    assert 0.3 * step < sum(r[0] for r in rows) < 1.5 * step  # kernels are most of it, not more than it
    assert "share" in capsys.readouterr().out


def test_gemm_floor_lists_the_steps_products():
    """benchmarks/gemm_floor.py: 30 products, whose forward shares agree with the analytic
    FLOP count of bench_step (G forward on B samples, D forward on 2B then B)."""
    from benchmarks.bench_step import step_flops
    from benchmarks.gemm_floor import time_gemms

    B = 2
    rows = time_gemms(B, repeats=1)
    assert len(rows) == 30 and all(t > 0 for _, _, t in rows)
    by_part = lambda prefix: sum(f for what, f, _ in rows if what.startswith(prefix))
    g_fwd, d_fwd_2b, d_fwd_b = by_part("G forward"), by_part("D step: D forward"), by_part("G step: D forward")
    assert d_fwd_2b == 2 * d_fwd_b
    assert 3 * g_fwd + 9 * d_fwd_b == step_flops(B)  # bench_step's count is built from the same forward costs


def test_gemm_floor_beside_the_step_times_both_in_one_process():
    """--beside-step: each round, the documented step's median and the products' in a row."""
    from benchmarks.gemm_floor import beside_step

    rounds = beside_step(2, rounds=2, steps=2, repeats=2)
    assert len(rounds) == 2 and all(step > 0 and gemms > 0 for step, gemms in rounds)


def test_step_floor_runs_every_product_and_adams_traffic_once(monkeypatch):
    """benchmarks/floors.py's step floor: each of the step's 30 products, in the step's order,
    into an output of its shape, then one adam_traffic over all the parameters."""
    import benchmarks.floors as floors
    import benchmarks.gemm_floor as gemm_floor
    from benchmarks.gemm_floor import step_gemms

    products, traffic = [], []
    monkeypatch.setattr(gemm_floor, "gemm_into", lambda a, b, c: products.append((a.shape, b.shape, c.shape)))
    monkeypatch.setattr(floors, "adam_traffic", lambda *flat: traffic.append([a.size for a in flat]))
    floors.step_floor(2, 1234)()
    expected = [(a if p != "a.T@b" else a[::-1], b if p != "a@b.T" else b[::-1]) for _, p, a, b in step_gemms(2)]
    assert [(a, b) for a, b, _ in products] == expected
    assert all(c == (a[0], b[1]) for a, b, c in products)
    assert traffic == [[1234] * 4]


def test_record_overhead_benchmark_runs():
    """benchmarks/record_overhead.py on a tiny setting: both arms timed in every round, and the
    recorder's arm records one step in `every`."""
    from benchmarks.record_overhead import measure

    result = measure(rounds=2, steps=4, every=2, batch=4, recipe="documented")
    assert len(result["ratios"]) == 2 and result["median_ratio"] > 0 and result["plain_step_ms_median"] > 0
    assert result["recorded_steps"] == 2 * 4 // 2


def test_the_headline_table_puts_each_competitor_under_its_own_column():
    """Competitors are timed in the order given and tabled in sorted order: each cell must be
    its own competitor's, whatever the order they were measured in."""
    from benchmarks.report import rounds_table

    doc = {"steps_s": {"minigan": {"32": [0.02]}}, "rounds": 1, "recipe": "documented", "seconds_a_turn": 1.0,
           "date": "today", "commit": "abc", "machine": {"cpu": "a CPU", "cores": 2, "threads": 2},
           "loaded_vs_idle": {"minigan": {"python-loop": [1.1], "minigan-1-thread": [2.2]}}}
    table = rounds_table(doc)
    assert "| engine | beside minigan-1-thread | beside python-loop |" in table
    assert "| minigan | ×2.20 (2.20–2.20) | ×1.10 (1.10–1.10) |" in table


def test_trainer_overhead_sets_every_epoch_against_the_bench_steps_spread_through_it(mnist_dir):
    """benchmarks/trainer_overhead.py on a tiny setting: each epoch after the first is set against
    the bench steps timed among its own steps, whose time its wall time leaves out (timings not
    judged)."""
    from benchmarks.trainer_overhead import measure

    result = measure("documented", limit=96, epochs=3, data=mnist_dir, every=2, bench_steps=3)
    assert [r["epoch"] for r in result["epochs"]] == [2, 3] and result["steps_per_epoch"] == 3
    assert [r["bench_steps"] for r in result["epochs"]] == [6, 3]  # after steps 4 and 6, then 8 (3 a epoch)
    assert all(r["bench_ms_median"] > 0 and r["loop_over_its_steps"] >= 1 for r in result["epochs"])
    assert result["median_loop_over_bench_median"] > 0 and result["median_loop_over_bench_mean"] > 0
