"""A kernel ladder for one conv layer of the documented D (Conv2D 128 -> 256, k3 s3 on 9x9):
readable loops, minigan's fast variant, plain NumPy, PyTorch (and minigan CUDA with
--device cuda), forward and backward, with times and GFLOP/s. Every rung's y, dx, dw and db
are checked against the reference loops' (float32, 1e-4 relative to the largest entry), and
each rung says whose threads it ran on. Every pool gets the same thread count (set one of
NUMBA_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS to choose it): a fast kernel timed
beside a thread pool of another library sized to the whole machine is slow for reasons of its
own (docs/speed.md).

    python examples/kernel_ladder.py [--batch 32] [--device cpu|cuda]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for benchmarks/

import kernels.cpu as K
from kernels.conv_geometry import conv_geometry
from kernels.cpu import conv2d as C
from kernels.cpu.gemm import BLAS, BLAS_NAME
from minigan.runtime import own_cores, thread_count


def timed(fn, repeat):
    fn()  # compile / warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


AGREE = 1e-4  # float32 sums in another order


def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.abs(a - b).max() / max(np.abs(a).max(), np.abs(b).max(), 1e-30))


def pools():
    """Who runs what: one thread count for Numba's pool and both BLAS copies (minigan/runtime.py),
    so that no pool sized to the machine spins beside another.
    -> (Numba's count, the GEMMs' BLAS and its count, NumPy's OpenBLAS count)."""
    owned = own_cores(thread_count())
    # the GEMMs run on MKL where it is installed, else on SciPy's OpenBLAS (kernels/cpu/gemm.py);
    # both SciPy and NumPy ship "libscipy_openblas": the folder says whose copy it is
    gemm_library = "libmkl_rt" if BLAS == "mkl" else "scipy.libs"
    gemm_threads = next((n for f, n in owned["blas"] if gemm_library in f), "?")
    numpy_blas = next((n for f, n in owned["blas"] if "numpy.libs" in f), "?")
    return owned["numba"], f"{BLAS_NAME} x{gemm_threads}", numpy_blas


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 9, 9, 128)).astype(np.float32)
    w = (rng.standard_normal((3, 3, 128, 256)) * 0.05).astype(np.float32)
    b = np.zeros(256, np.float32)
    g = conv_geometry("ladder", x.shape, w.shape, 3, "valid")
    dy = rng.standard_normal((args.batch, g.Ho, g.Wo, 256)).astype(np.float32)
    flops = 2 * args.batch * g.Ho * g.Wo * w.size  # multiply-adds of the forward, x2

    numba_threads, gemm_blas, numpy_blas = pools()
    host = lambda out: out  # each rung's outputs as NHWC / (KH, KW, C, F) host arrays
    rungs = [  # (name, forward, backward, whose threads, outputs to host)
        ("reference loops", lambda: C.conv2d_forward_loops(x, w, b, g),
         lambda: C.conv2d_backward_loops(dy, x, w, g), "one thread (plain loops)", host),
        ("minigan fast (im2col + BLAS)", lambda: K.conv2d_forward(x, w, b, 3, "valid"),
         lambda: K.conv2d_backward(dy, x, w, 3, "valid"),
         f"{gemm_blas}, Numba x{numba_threads}", host),
    ]
    try:
        from benchmarks import numpy_ops as N

        rungs.append(("plain NumPy", lambda: N.conv2d_forward(x, w, b, 3, "valid"), lambda: N.conv2d_backward(dy, x, w, 3, "valid"),
                      f"NumPy's OpenBLAS x{numpy_blas}", host))
    except ImportError:
        print("(plain NumPy rung skipped: run from a checkout that has benchmarks/)")
    try:
        import torch
        import torch.nn.functional as F

        xt = torch.tensor(x.transpose(0, 3, 1, 2).copy(), requires_grad=True)
        wt = torch.tensor(w.transpose(3, 2, 0, 1).copy(), requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)
        yt = F.conv2d(xt, wt, bt, stride=3)
        dyt = torch.tensor(dy.transpose(0, 3, 1, 2).copy())
        def torch_host(out):
            if isinstance(out, torch.Tensor):
                return out.numpy().transpose(0, 2, 3, 1)
            dx, dw, db = (t.numpy() for t in out)
            return dx.transpose(0, 2, 3, 1), dw.transpose(2, 3, 1, 0), db

        rungs.append(("PyTorch", lambda: F.conv2d(xt.detach(), wt.detach(), bt.detach(), stride=3),
                      lambda: torch.autograd.grad(yt, (xt, wt, bt), dyt, retain_graph=True),
                      f"PyTorch intra-op x{torch.get_num_threads()}", torch_host))
    except ImportError:
        print("(PyTorch rung skipped: torch is not installed)")
    if args.device == "cuda":
        from minigan.backends import get

        G = get("cuda")
        xd, wd, bd, dyd = (G.to_device(a) for a in (x, w, b, dy))
        sync = __import__("numba").cuda.synchronize

        def sync_after(fn):
            return lambda: (lambda out: (sync(), out)[1])(fn())

        def cuda_host(out):
            return G.to_host(out) if not isinstance(out, tuple) else tuple(G.to_host(a) for a in out)

        rungs.append(("minigan CUDA (direct)", sync_after(lambda: G.conv2d_forward_reference(xd, wd, bd, 3, "valid")),
                      sync_after(lambda: G.conv2d_backward_reference(dyd, xd, wd, 3, "valid")), "the GPU", cuda_host))
        rungs.append(("minigan CUDA (im2col + tiled)", sync_after(lambda: G.conv2d_forward(xd, wd, bd, 3, "valid")),
                      sync_after(lambda: G.conv2d_backward(dyd, xd, wd, 3, "valid")), "the GPU", cuda_host))

    print(f"Conv2D 128->256, k3 s3, x {x.shape}: {flops / 1e6:.0f} MFLOP forward, {2 * flops / 1e6:.0f} backward")
    print(f"{'rung':<32} {'forward':>10} {'GFLOP/s':>8} {'backward':>10} {'GFLOP/s':>8} {'vs loops':>9}  threads")
    reference = None
    worst = 0.0
    for name, fwd, bwd, threads, to_host in rungs:
        outputs = [to_host(fwd()), *to_host(bwd())]  # y, dx, dw, db
        reference = reference or outputs
        err = max(rel_err(a, r) for a, r in zip(outputs, reference))
        worst = max(worst, err)
        repeat = 1 if name == "reference loops" else args.repeat
        tf, tb = timed(fwd, repeat), timed(bwd, repeat)
        print(f"{name:<32} {tf * 1e3:>8.2f}ms {flops / tf / 1e9:>8.1f} {tb * 1e3:>8.2f}ms {2 * flops / tb / 1e9:>8.1f} "
              f"{err:>9.1e}  {threads}")
    print(f"every rung agrees with the loops (y, dx, dw, db within {AGREE:g})" if worst < AGREE
          else f"MISMATCH: a rung differs from the loops by {worst:.1e}")
    return 0 if worst < AGREE else 1


if __name__ == "__main__":
    raise SystemExit(main())
