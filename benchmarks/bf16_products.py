"""The step's 30 products in bfloat16, library against library, in alternating rounds.

    python -m benchmarks.bf16_products [--batch-size 32 256] [--rounds 5]

The products of one documented training step (benchmarks/gemm_floor.py's shapes, the
transposed operands as views, as the kernels pass them), each round timing the 30 in a row,
median of repeats, for every way in turn, in one process, so that each way meets the same
minutes of a shared machine:
    sgemm            float32: kernels/cpu/gemm.py's gemm_into (MKL on its threads)
    mkl              bfloat16: one cblas_gemm_bf16bf16f32 call, MKL on its threads
    mkl x1           bfloat16: one call on one thread
    mkl halves       bfloat16: two halves of C, one single-threaded call each, on two threads
    onednn           bfloat16: kernels/cpu/gemm_bf16.py's oneDNN matmul (Numba's thread count),
                     where the onednn-cpu-gomp wheel is installed (pip install 'minigan[bf16]')
MKL runs with minigan's settings (kernels/cpu/gemm.py: MKL_CBWR=AUTO,STRICT, GNU OpenMP).
Every way's results are checked against float64 on the same operands before it is timed;
--impl prints the implementation oneDNN picked for each product.
"""

import argparse
import os
import platform
import subprocess
import time

import numpy as np
from numba import njit, prange, types

from benchmarks.gemm_floor import step_operands
from kernels.cpu import gemm_bf16
from kernels.cpu.bfloat16_rounding import bfloat16_to_float32, round_to_bfloat16
from kernels.cpu.gemm import ROW_MAJOR, _operand, gemm_into
from kernels.wheels import wheel_library


_I, _P = types.intc, types.uintp
cblas_gemm_bf16 = types.ExternalFunction("cblas_gemm_bf16bf16f32", types.void(
    _I, _I, _I, _I, _I, _I, types.float32, _P, _I, _P, _I, types.float32, _P, _I))
mkl_threads_here = types.ExternalFunction("MKL_Set_Num_Threads_Local", types.intc(types.intc))  # C name


@njit(cache=True)
def mkl_one_call(a, b, c):
    """c = a @ b, one cblas_gemm_bf16bf16f32 call on MKL's threads."""
    M, K = a.shape
    N = b.shape[1]
    ta, lda = _operand(a)
    tb, ldb = _operand(b)
    cblas_gemm_bf16(ROW_MAJOR, ta, tb, M, N, K, np.float32(1), a.ctypes.data, lda, b.ctypes.data, ldb,
                               np.float32(0), c.ctypes.data, _operand(c)[1])


@njit(cache=True)
def mkl_one_thread(a, b, c):
    """c = a @ b, one cblas_gemm_bf16bf16f32 call on the calling thread alone."""
    previous = mkl_threads_here(1)
    mkl_one_call(a, b, c)
    mkl_threads_here(previous)


@njit(cache=True, parallel=True)
def mkl_halves(a, b, c):
    """c = a @ b as two halves of c's longer side, one single-threaded call each, on two threads."""
    M, N = c.shape
    for half in prange(2):
        if M >= N:
            lo, hi = half * M // 2, (half + 1) * M // 2
            mkl_one_thread(a[lo:hi], b, c[lo:hi])
        else:
            lo, hi = half * N // 2, (half + 1) * N // 2
            mkl_one_thread(a, b[:, lo:hi], c[:, lo:hi])


def bf16_operands(batch):
    """[(what, flops, a16, b16, c, a, b)]: the step's products with operands rounded to bfloat16
    (uint16, transposed views where the step transposes), and the float32 operands."""
    out = []
    for what, f, a, b, c in step_operands(batch):
        a16 = round_to_bfloat16(np.ascontiguousarray(a.T)).T if not a.flags.c_contiguous else round_to_bfloat16(a)
        b16 = round_to_bfloat16(np.ascontiguousarray(b.T)).T if not b.flags.c_contiguous else round_to_bfloat16(b)
        out.append((what, f, a16, b16, c, a, b))
    return out


def ways(onednn):
    """{name: product(a16, b16, c, a, b)}."""
    found = {"sgemm": lambda a16, b16, c, a, b: gemm_into(a, b, c),
             "mkl": lambda a16, b16, c, a, b: mkl_one_call(a16, b16, c),
             "mkl x1": lambda a16, b16, c, a, b: mkl_one_thread(a16, b16, c),
             "mkl halves": lambda a16, b16, c, a, b: mkl_halves(a16, b16, c)}
    if onednn is not None:
        found["onednn"] = lambda a16, b16, c, a, b: onednn(a16, b16, c, 0)
    return found


def checked(products, way, name):
    """Every product of `way` against float64 on the same bfloat16 operands: float32 sums."""
    for what, _, a16, b16, c, a, b in products:
        way(a16, b16, c, a, b)
        if name == "sgemm":
            continue
        exact = bfloat16_to_float32(a16).astype(np.float64) @ bfloat16_to_float32(b16).astype(np.float64)
        err = np.abs(c - exact).max() / max(np.abs(exact).max(), 1e-30)
        assert err < 1e-5, f"{name} {what}: {err:.1e} from float64"


def in_a_row(products, way, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _, _, a16, b16, c, a, b in products:
            way(a16, b16, c, a, b)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return (f"{model}, {os.cpu_count()} cores, native bfloat16 {gemm_bf16.native_bf16()}, "
            f"MKL_CBWR={os.environ.get('MKL_CBWR')}, commit {commit}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch-size", type=int, nargs="+", default=[32, 256])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--impl", action="store_true", help="print oneDNN's implementation for every product")
    args = p.parse_args(argv)
    from minigan.runtime import own_cores, thread_count

    own_cores(thread_count())
    path = wheel_library(gemm_bf16.ONEDNN_WHEEL, "libdnnl.so")
    onednn = gemm_bf16.OneDNN(path) if path else None
    print(machine() + ("" if onednn else "; oneDNN not installed (pip install onednn-cpu-gomp)"))
    for batch in args.batch_size:
        products = bf16_operands(batch)
        if onednn is not None:
            impls = {what: onednn.implementation(a16, b16, c) for what, _, a16, b16, c, _, _ in products}
            if args.impl:
                print("\n".join(f"  {what}: {impl}" for what, impl in impls.items()))
        found = ways(onednn)
        for name, way in found.items():
            checked(products, way, name)
        flops = sum(f for _, f, *_ in products)
        times = {name: [] for name in found}
        order = list(found)
        for r in range(args.rounds):
            for name in order[r % len(order):] + order[:r % len(order)]:  # a rotating first way
                times[name].append(in_a_row(products, found[name], args.repeats))
        base = np.array(times["sgemm"])
        print(f"batch {batch}: the step's {len(products)} products, {flops / 1e9:.2f} GFLOP, "
              f"{args.rounds} alternating rounds (median ms; each round's ratio to sgemm: min-max)")
        for name, t in times.items():
            ratio = np.array(t) / base
            print(f"  {name:11s} {np.median(t) * 1e3:7.2f} ms  {flops / np.median(t) / 1e9:5.0f} GF/s  "
                  f"x{ratio.min():.2f}-{ratio.max():.2f}")


if __name__ == "__main__":
    main()
