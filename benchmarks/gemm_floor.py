"""The matrix products of one documented training step, each timed alone: a floor for the step.

    python -m benchmarks.gemm_floor [--batch-size 32] [--beside-step ROUNDS]

minigan's step (minigan/gan.py, docs/training-step.md) runs 30 GEMMs, every one through
kernels/cpu/gemm.py's gemm_into (MKL where it is installed, else SciPy's OpenBLAS: the
printout names it; MINIGAN_BLAS picks one). Timed here through that same call, on warm arrays,
with the transposed operands as views as the kernels pass them, they are the part of the
step that no fusion of the other passes can remove. --beside-step alternates, in one process,
the documented step (60 steps, as `minigan bench` times it) with the 30 products in a row, and
prints each round's step, products and the rest: what the step spends beside its GEMMs, with
both halves in the same minute of a drifting machine.
Shapes, with B the batch (the D step sees 2B samples, the G step B):
    G forward        (B, I) @ (I, O)             for the four dense layers
    D forward        conv1 (n*81, 9) @ (9, 128), conv2 (n*9, 1152) @ (1152, 256),
                     conv3 (n, 2304) @ (2304, 512), dense (n, 512) @ (512, 1)   n = 2B, then B
    D-step backward  dx and dW of dense, conv3, conv2; dW only of conv1 (images need no dx)
    G-step backward  dx only through D (its weights do not move), then dx and dW of G's
                     dense layers (dW only for dense1: z needs no dx)
"""

import argparse
import time

import numpy as np

from kernels.cpu.gemm import BLAS_NAME, gemm_into

OPERANDS = {"a@b": lambda a, b: (a, b), "a.T@b": lambda a, b: (a.T, b), "a@b.T": lambda a, b: (a, b.T)}
G_LAYERS = [(100, 128), (128, 256), (256, 512), (512, 784)]


def d_forward(n, step):
    return [(f"{step}: D forward conv1", "a@b", (n * 81, 9), (9, 128)),
            (f"{step}: D forward conv2", "a@b", (n * 9, 1152), (1152, 256)),
            (f"{step}: D forward conv3", "a@b", (n, 2304), (2304, 512)),
            (f"{step}: D forward dense", "a@b", (n, 512), (512, 1))]


def step_gemms(batch):
    """[(what, product, a shape, b shape)] for one training step at this batch size."""
    B, n = batch, 2 * batch
    gemms = [(f"G forward dense{i + 1}", "a@b", (B, i_), (i_, o)) for i, (i_, o) in enumerate(G_LAYERS)]
    gemms += d_forward(n, "D step")
    gemms += [("D step: dense dx", "a@b.T", (n, 1), (512, 1)), ("D step: dense dW", "a.T@b", (n, 512), (n, 1)),
              ("D step: conv3 dx", "a@b.T", (n, 512), (2304, 512)), ("D step: conv3 dW", "a.T@b", (n, 2304), (n, 512)),
              ("D step: conv2 dx", "a@b.T", (n * 9, 256), (1152, 256)),
              ("D step: conv2 dW", "a.T@b", (n * 9, 1152), (n * 9, 256)),
              ("D step: conv1 dW", "a.T@b", (n * 81, 9), (n * 81, 128))]
    gemms += d_forward(B, "G step")
    gemms += [("G step: D dense dx", "a@b.T", (B, 1), (512, 1)), ("G step: D conv3 dx", "a@b.T", (B, 512), (2304, 512)),
              ("G step: D conv2 dx", "a@b.T", (B * 9, 256), (1152, 256)),
              ("G step: D conv1 dx", "a@b.T", (B * 81, 128), (9, 128))]
    for i in range(len(G_LAYERS) - 1, -1, -1):  # G backward, last layer first
        i_, o = G_LAYERS[i]
        if i > 0:
            gemms.append((f"G step: dense{i + 1} dx", "a@b.T", (B, o), (i_, o)))
        gemms.append((f"G step: dense{i + 1} dW", "a.T@b", (B, i_), (B, o)))
    return gemms


def flops(product, a_shape, b_shape):
    m, k = (a_shape[1], a_shape[0]) if product == "a.T@b" else a_shape
    n = b_shape[0] if product == "a@b.T" else b_shape[1]
    return 2 * m * k * n


def step_operands(batch, seed=0):
    """-> [(what, flops, a, b, c)] for every GEMM of the step: random float32 operands, the
    transposed ones as views (as the kernels pass them), and c (M, N) to write into."""
    rng = np.random.default_rng(seed)
    out = []
    for what, product, a_shape, b_shape in step_gemms(batch):
        a, b = OPERANDS[product](rng.random(a_shape, np.float32), rng.random(b_shape, np.float32))
        out.append((what, flops(product, a_shape, b_shape), a, b, np.empty((a.shape[0], b.shape[1]), np.float32)))
    return out


def products_in_a_row(batch, seed=0):
    """-> a function that runs the step's 30 products one after another, in the step's order,
    on operands made once (step_operands)."""
    products = [(a, b, c) for _, _, a, b, c in step_operands(batch, seed)]

    def run():
        for a, b, c in products:
            gemm_into(a, b, c)

    return run


def time_gemms(batch, repeats=30, seed=0):
    """-> [(what, flops, median seconds)] for every GEMM of the step."""
    rows = []
    for what, f, a, b, c in step_operands(batch, seed):
        gemm_into(a, b, c)  # compile / warm
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            gemm_into(a, b, c)
            times.append(time.perf_counter() - t)
        rows.append((what, f, float(np.median(times))))
    return rows


def beside_step(batch, rounds, steps=60, repeats=30, seed=0):
    """-> [(step median, the 30 products in a row: median, seconds)] per round, one process."""
    import kernels.cpu as K
    from minigan.bench import gan_with_batch, timed_steps

    gan, real, z = gan_with_batch(batch, K, "documented", seed)
    for _ in range(3):
        gan.train_step(real, z)  # compiled, buffers allocated
    products = products_in_a_row(batch, seed)
    out = []
    for _ in range(rounds):
        step = float(np.median(timed_steps(gan, real, z, steps)))
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            products()
            times.append(time.perf_counter() - t)
        out.append((step, float(np.median(times))))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--beside-step", type=int, default=0, metavar="ROUNDS",
                   help="alternate the documented step and the products in a row, ROUNDS times")
    args = p.parse_args(argv)
    if args.beside_step:
        from minigan.runtime import own_cores, thread_count

        own_cores(thread_count())  # the pools as `minigan bench` sizes them
        for i, (step, gemms) in enumerate(beside_step(args.batch_size, args.beside_step)):
            print(f"round {i + 1}: step {step * 1e3:.2f} ms, its 30 products in a row {gemms * 1e3:.2f} ms, "
                  f"the rest {(step - gemms) * 1e3:.2f} ms ({BLAS_NAME})")
        return
    rows = time_gemms(args.batch_size)
    for what, f, t in rows:
        print(f"{t * 1e3:8.3f} ms {f / t / 1e9:6.0f} GF/s  {what}")
    total_f, total_t = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"batch {args.batch_size}: {len(rows)} GEMMs, {total_f / 1e9:.2f} GFLOP, {total_t * 1e3:.2f} ms "
          f"timed alone ({total_f / total_t / 1e9:.0f} GF/s), {BLAS_NAME}")


if __name__ == "__main__":
    main()
