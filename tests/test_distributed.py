"""Data parallelism over MPI: 2 ranks give the run one process gives (minigan/distributed.py).

Every test starts its own `mpiexec -n 2` (the mpich wheel's) with a time limit and leaves no
process behind. mpi4py and mpich are test dependencies: without them these tests fail.
The ranks run at one thread each, so two of them fit the CI machine's two cores."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import mpi4py  # noqa: F401  (a test dependency: fail here, loudly, when it is missing)
import numpy as np
import pytest
from conftest import REPO, rel_err

from kernels.specs import BatchNormSpec
from minigan.config import TrainConfig
from minigan.distributed import World, launched_size

MPIEXEC = shutil.which("mpiexec") or pytest.fail("mpiexec not found: pip install mpich (the test extra has it)")
WORKER = REPO / "tests" / "mpi_worker.py"


def env(mnist_dir, **more):
    e = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
             MINIGAN_DATA=str(mnist_dir), PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    e.update(more)
    return e


def mpiexec(args, mnist_dir, ranks=2, timeout=240, **more_env):
    """Run `mpiexec -n ranks python ARGS` to its end -> CompletedProcess (killed, group and all, on timeout)."""
    proc = subprocess.Popen([MPIEXEC, "-n", str(ranks), sys.executable, *map(str, args)], cwd=REPO,
                            env=env(mnist_dir, **more_env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"mpiexec did not finish in {timeout} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def worker_report(tmp_path, mnist_dir, *args, **more_env):
    report = tmp_path / "report.json"
    done = mpiexec([WORKER, "steps", report, *args], mnist_dir, **more_env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(report.read_text())


def worst_loss_error(report):
    return max(abs(a - b) / abs(b) for step in report["losses"] for a, b in step.values())


@pytest.mark.parametrize("recipe", ["documented", "sharp+dropout+mbstd"])  # the default: the CLI test below
def test_two_ranks_free_running_match_one_process_float64(tmp_path, mnist_dir, recipe):
    """20 steps, 2 ranks against one process beside them: every step's losses and D(x), D(G(z))
    to 1e-12, every parameter and optimizer moment to 1e-12 (relative to its largest entry);
    the ranks bitwise equal after every step; each forward on B/N rows; the dropout masks are
    each rank's rows of the one-process masks; the flight recorder's statistics of every step
    (rank 0's, of the whole batch) to 1e-10."""
    r = worker_report(tmp_path, mnist_dir, recipe, "float64", "free")
    assert r["ranks"] == 2 and len(r["losses"]) == 20
    assert worst_loss_error(r) < 1e-12
    assert max(r["parameter_error"]) < 1e-12, r["parameter_error"]
    assert all(r["same_everywhere"])
    for step in r["rows"]:  # G on b = 16 rows, D's step on [real_r; fake_r] = 32, the G step's D on 16
        assert step == [["G", 16], ["D", 32], ["D", 16]]
    assert r["mask_errors"] == 0 and r["masks"] == (20 * 2 * 3 * 2 if "dropout" in recipe else 0)
    assert len(r["record_error"]) > 40 and max(r["record_error"].values()) < 1e-10, r["record_error"]


def test_two_ranks_float32_step_by_step(tmp_path, mnist_dir):
    """Teacher-forced float32, as the twin test: before each step the one-process GAN takes the
    2-rank state; losses to 1e-5, parameters to 1e-2 norm-relative (tests/test_torch_twin_parity.py
    says why float32 cannot be held tighter step for step) from the second step on. The first
    is left out of the parameters: from zero moments Adam moves every entry by lr * sign(g), so
    one float32 tie (a ReLU input within rounding of 0 on one side and not the other: the rows
    are multiplied 32 at a time here and 64 there) flips entries of the zero-initialised biases,
    all of size lr: an O(1) change of a vector that small. The float64 tests above hold it all."""
    r = worker_report(tmp_path, mnist_dir, "default", "float32", "forced")
    assert worst_loss_error(r) < 1e-5
    assert len(r["parameter_error"]) == 20 and max(r["parameter_error"][1:]) < 1e-2
    assert all(r["same_everywhere"])


def test_two_ranks_on_cuda_under_the_simulator_match_the_cpu(tmp_path, mnist_dir):
    """--device cuda under MPI (tiny nets, one step at batch 2, both ranks sharing the simulator's
    one GPU; spectral norm off, its power steps are slow there): gradients go to the host for the
    allreduce, BatchNorm normalises over both ranks' one row each, and the run matches one CPU process,
    the flight recorder's statistics too (read off device arrays)."""
    r = worker_report(tmp_path, mnist_dir, "sharp+no-sn", "float64", "free", "cuda", NUMBA_ENABLE_CUDASIM="1")
    assert len(r["losses"]) == 1 and worst_loss_error(r) < 1e-7
    assert max(r["record_error"].values()) < 1e-7, r["record_error"]
    assert max(r["parameter_error"]) < 1e-7 and all(r["same_everywhere"])


def train_options(out, *more):
    return ["--limit", "320", "--dtype", "float64", "--out", out, *more]


def train_args(out, *more):
    return ["-m", "minigan", "train", *train_options(out, *more)]


def log_rows(run):
    with open(Path(run) / "losses.csv") as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]


def test_cli_trains_on_two_ranks_and_resumes_across_rank_counts(tmp_path, mnist_dir):
    """`mpiexec -n 2 python -m minigan train --record 3`: the log says how the batch is split;
    rank 0 alone writes; 2 ranks for epoch 1, then 1 process resuming epoch 2, then 2 ranks
    resuming epoch 3, give the losses, weights and flight record of one process training 3
    epochs straight."""
    from minigan.checkpoint import load_checkpoint
    from minigan.config import TrainConfig as Config
    from minigan.record import load
    from minigan.train import train

    one = tmp_path / "one"
    train(Config(epochs=3, limit=320, dtype="float64", sample_interval=10, record=3), one, data=mnist_dir,
          log=lambda *_: None)
    mixed = tmp_path / "mixed"
    first = mpiexec(train_args(mixed, "--epochs", "1", "--record", "3"), mnist_dir)
    assert first.returncode == 0, first.stderr
    assert "data-parallel over 2 ranks, 32/2 = 16 images per rank" in first.stdout
    assert first.stdout.count("epoch 1/1") == 1  # one rank logs
    second = subprocess.run([sys.executable, *train_args(mixed, "--epochs", "2", "--resume")], cwd=REPO,
                            env=env(mnist_dir), capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr
    third = mpiexec(train_args(mixed, "--epochs", "3", "--resume"), mnist_dir)
    assert third.returncode == 0, third.stderr
    a, b = log_rows(one), log_rows(mixed)
    assert len(a) == len(b) == 30
    assert max(abs(x[k] - y[k]) / abs(x[k]) for x, y in zip(a, b) for k in ("d_loss", "g_loss")) < 1e-12
    wa, _ = load_checkpoint(one / "checkpoint.npz")
    wb, _ = load_checkpoint(mixed / "checkpoint.npz")
    assert max(rel_err(wa[k], wb[k]) for k in wa) < 1e-12
    ra, rb = load(one), load(mixed)
    assert list(ra) == list(rb) and list(rb["step"]) == list(range(1, 31, 3))
    assert max(rel_err(ra[k], rb[k]) for k in ra) < 1e-10
    assert not [p.name for p in mixed.iterdir() if not (p.name.endswith((".npz", ".png", ".csv"))  # no temp files
                                                        or p.name.startswith("events.out.tfevents."))]


def test_a_batch_that_does_not_divide_is_refused_clearly(tmp_path, mnist_dir):
    done = mpiexec(train_args(tmp_path / "run", "--batch-size", "33"), mnist_dir, timeout=120)
    assert done.returncode != 0
    assert "--batch-size 33 does not divide over 2 ranks" in done.stderr and "e.g. 32 or 34" in done.stderr
    assert "Traceback" not in done.stderr
    per_rank = mpiexec(train_args(tmp_path / "run", "--batch-size", "36", "--set", "d_minibatch_std=true"),
                       mnist_dir, timeout=120)
    assert per_rank.returncode != 0 and "within each rank" in per_rank.stderr and "got 18" in per_rank.stderr


def test_a_refused_out_folder_ends_every_rank_with_one_clear_error(tmp_path, mnist_dir):
    """--out naming a file (as a read-only one: refused by every rank before any collective) and a
    folder holding a previous run (decided by rank 0, told to the others): exit 2, the message
    once, no traceback and no MPI_Abort."""
    a_file = tmp_path / "file"
    a_file.write_text("x")
    used = tmp_path / "used"
    used.mkdir()
    (used / "losses.csv").write_text("")
    for out, message in [(a_file, "is a file, not a folder"), (used, "holds a previous run")]:
        done = mpiexec(train_args(out, "--epochs", "1"), mnist_dir, timeout=120)
        assert done.returncode == 2 and done.stderr.count(message) == 1, done.stderr
        assert "Traceback" not in done.stderr and "ending all" not in done.stderr


def test_more_ranks_than_gpus_is_refused_unless_shared(tmp_path, mnist_dir):
    done = mpiexec(train_args(tmp_path / "run", "--device", "cuda"), mnist_dir, timeout=120, NUMBA_ENABLE_CUDASIM="1")
    assert done.returncode != 0 and "2 ranks on this machine but 1 GPU(s)" in done.stderr
    assert "--share-gpus" in done.stderr and "Traceback" not in done.stderr


def wait_for(predicate, seconds, what):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


@pytest.mark.parametrize("how", ["raise", "kill"])
def test_a_failing_rank_ends_the_job_promptly_and_keeps_the_checkpoint(tmp_path, mnist_dir, how):
    """Rank 1 raises in its third step, or is killed with SIGKILL mid-training: the job ends
    non-zero within 30 s (no rank left waiting in a collective), the message names the rank
    when it could say anything, and the last good checkpoint is still readable."""
    from minigan.checkpoint import load_checkpoint

    pids, run = tmp_path / "pids", tmp_path / "run"
    pids.mkdir()
    args = [WORKER, "fail", pids, how, "--", *train_options(run, "--epochs", "1000", "--limit", "64")]
    proc = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, *map(str, args)], cwd=REPO, env=env(mnist_dir),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        if how == "kill":
            wait_for(lambda: (run / "checkpoint.npz").is_file(), 120, "the first checkpoint")
            os.kill(int((pids / "rank-1.pid").read_text()), signal.SIGKILL)
        else:
            wait_for(lambda: (pids / "rank-1.pid").is_file(), 120, "rank 1 to start")
        start = time.monotonic()
        out, err = proc.communicate(timeout=120 if how == "raise" else 30)
        took = time.monotonic() - start
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the job did not end after one rank failed")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    if how == "raise":
        assert "rank 1 of 2" in err and "a deliberate failure in the third step" in err
    assert took < 30
    arrays, meta = load_checkpoint(run / "checkpoint.npz")  # written atomically: whole, or the one before
    assert meta["epoch"] >= 0 and arrays


def test_one_process_is_a_world_of_one():
    """Without a launcher nothing changes: World(None) passes everything through and mpi4py's
    collectives are never called."""
    assert launched_size({}) == 1 and launched_size({"PMI_SIZE": "4"}) == 4
    world = World(None)
    batch = np.arange(8)
    assert world.split_batch(8) == 8 and world.shard(batch) is batch and not world.parallel
    assert world.mean([1.0, 2.0]) == [1.0, 2.0] and world.same_everywhere([batch])


def test_rows_of_the_whole_batch():
    world = World(None)
    world.size, world.rank, world.per_rank_batch = 2, 1, 3  # rank 1 of 2, b = 3, B = 6
    total, mine = world.rows(6)  # [real_r; fake_r]: rows 3..5 of the real half and of the fake half
    assert total == 12 and list(mine) == [3, 4, 5, 9, 10, 11]
    with pytest.raises(ValueError, match="does not divide over 2 ranks"):
        TrainConfig(batch_size=33).validate(1000, ranks=2)


class TwoShards:
    """Two threads, each one shard of a batch: reduce_for(i) is shard i's sum over both, made
    with a barrier, as an allreduce would (the kernels cannot tell the difference)."""

    def __init__(self, ops):
        self.ops, self.barrier, self.parts = ops, threading.Barrier(2, timeout=60), [None, None]

    def reduce_for(self, i):
        def reduce(a):
            self.parts[i] = self.ops.to_host(a).copy()
            self.barrier.wait()
            whole = self.parts[0] + self.parts[1]
            self.barrier.wait()  # both have read before either writes again
            return self.ops.to_device(whole)

        return reduce


def test_batchnorm_over_two_shards_equals_the_whole_batch():
    """batchnorm_forward / _backward with reduce, on two shards of a batch at once, give each
    shard its rows of the whole batch's y, xhat and dx, the whole batch's mean and inv_std, and
    dgamma, dbeta that sum to the whole batch's. (CUDA's simulator launches kernels from the
    main thread only: its reduce is proven by the 2-rank CUDA test above, one row a rank.)"""
    import kernels.cpu as ops

    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    gamma, beta = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    host = lambda *a: [ops.to_host(v) for v in a]
    dev = lambda *a: [ops.to_device(v) for v in a]

    def forward_and_backward(rows, spec):
        """-> y, the batch mean, inv_std and xhat (from the cache), then dx, dgamma, dbeta, over x[rows]."""
        y, cache = ops.batchnorm_forward(*dev(x[rows], gamma, beta), spec)
        return host(y, cache.mean, cache.inv_std, cache.xhat) + host(*ops.batchnorm_backward(*dev(dy[rows]), cache))

    y, mean, inv_std, xhat, dx, dgamma, dbeta = forward_and_backward(slice(None), BatchNormSpec())
    shards, results = TwoShards(ops), [None, None]

    def shard(i, rows):
        results[i] = forward_and_backward(rows, BatchNormSpec(reduce=shards.reduce_for(i)))

    threads = [threading.Thread(target=shard, args=(i, rows)) for i, rows in enumerate((slice(0, 2), slice(2, 6)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (y0, m0, s0, xh0, dx0, dg0, db0), (y1, m1, s1, xh1, dx1, dg1, db1) = results
    assert rel_err(np.concatenate([y0, y1]), y) < 1e-14 and rel_err(np.concatenate([xh0, xh1]), xhat) < 1e-14
    assert rel_err(m0, mean) < 1e-14 and rel_err(m1, mean) < 1e-14 and rel_err(s0, inv_std) < 1e-14
    assert rel_err(np.concatenate([dx0, dx1]), dx) < 1e-13
    assert rel_err(dg0 + dg1, dgamma) < 1e-14 and rel_err(db0 + db1, dbeta) < 1e-14
    assert rel_err(dg0, dgamma) > 1e-3  # each shard's part alone is not the whole


def test_a_reduce_that_is_not_callable_is_refused():
    with pytest.raises(ValueError, match="reduce must be None or a callable"):
        BatchNormSpec(reduce=3)
