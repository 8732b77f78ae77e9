"""An alpha-beta cost model of minigan's data-parallel step (docs/scale.md prints its tables).

    python -m benchmarks.scale_model --step32 MS --step256 MS --d-rest MS [--recipe default]

Inputs, measured on one machine (the step at two per-rank batches, `minigan bench`; and the
part of D's backward that runs after conv3's gradients exist, `minigan bench --profile`: conv2's
backward and conv1's). The model:

  compute   T(b) = t0 + t1 b, a line through the two measured steps;
  allreduce of n bytes over p ranks, ring (large messages):   2 (p - 1) alpha + 2 (p - 1) / p n beta
            small ones (BatchNorm's sums, the losses): recursive doubling, log2 p (alpha + n beta);
  per step  D's and G's gradients (float32), and with BatchNorm in G, per layer two forward
            sums (F + 1 and F numbers) and one backward (2F + 1), plus the four logged means;
  overlap   D's allreduce of its last layers (dense, conv3: 80 % of D's bytes) starts when their
            gradients exist and runs during the rest of D's backward: the step saves
            min(that allreduce, the rest of the backward).
Networks: 10 Gb/s Ethernet (alpha 25 us, TCP) and 100 Gb/s (alpha 2 us, RDMA).
"""

import argparse
import math

import numpy as np

import kernels.cpu as K
from minigan.gan import GAN
from minigan.models import G_WIDTHS
from minigan.recipes import RECIPES

NETWORKS = {"10 Gb/s": (25e-6, 8 / 10e9), "100 Gb/s": (2e-6, 8 / 100e9)}  # alpha (s), beta (s per byte)
RANKS = (1, 2, 4, 8, 16, 32, 64)


def parameter_bytes(recipe):
    """(D bytes, G bytes, bytes of D's dense + conv3: what overlap can send early), float32."""
    gan = GAN(RECIPES[recipe], np.random.default_rng(0), K)
    d = {k: v.size * 4 for k, v in gan.D.params().items()}
    g = sum(v.size * 4 for v in gan.G.params().values())
    early = sum(n for k, n in d.items() if k.startswith(("dense/", "conv3/")))
    return sum(d.values()), g, early


def ring(n_bytes, p, alpha, beta):
    return 0.0 if p == 1 else 2 * (p - 1) * alpha + 2 * (p - 1) / p * n_bytes * beta


def small(n_bytes, p, alpha, beta):
    return 0.0 if p == 1 else math.ceil(math.log2(p)) * (alpha + n_bytes * beta)


def small_messages(recipe):
    """Byte sizes of the step's small allreduces."""
    sizes = [4 * 8]  # the four logged means, float64
    if RECIPES[recipe].g_batchnorm:
        for f in G_WIDTHS:
            sizes += [4 * (f + 1), 4 * f, 4 * (2 * f + 1)]
    return sizes


def step(p, b, t0, t1, d_rest, recipe, network, overlap):
    """-> (step seconds, communication seconds, saved by overlap) for p ranks of b rows each."""
    alpha, beta = NETWORKS[network]
    d_bytes, g_bytes, early = parameter_bytes(recipe)
    comm = ring(d_bytes, p, alpha, beta) + ring(g_bytes, p, alpha, beta)
    comm += sum(small(n, p, alpha, beta) for n in small_messages(recipe))
    saved = min(ring(early, p, alpha, beta), d_rest) if overlap else 0.0
    return t0 + t1 * b + comm - saved, comm, saved


def tables(step32, step256, d_rest, recipe):
    t1 = (step256 - step32) / (256 - 32)
    t0 = step32 - 32 * t1
    d_bytes, g_bytes, early = parameter_bytes(recipe)
    lines = [f"recipe {recipe!r}: D {d_bytes / 4e6:.2f} M parameters, G {g_bytes / 4e6:.2f} M; "
             f"{(d_bytes + g_bytes) / 1e6:.2f} MB of float32 gradients a step, D's dense + conv3 {early / d_bytes:.0%} of D's; "
             f"T(b) = {t0 * 1e3:.2f} ms + {t1 * 1e3:.3f} ms x b; rest of D's backward {d_rest * 1e3:.2f} ms", ""]
    for network in NETWORKS:
        _, comm8, _ = step(8, 32, t0, t1, d_rest, recipe, network, False)
        # p ranks of b rows beat one machine on the same global batch p b when T(b) + C < T(p b),
        # and keep 90 % of their compute busy when T(b) >= 9 C (no overlap in either)
        comms = {p: step(p, 0, t0, t1, 0, recipe, network, False)[1] for p in (2, 8, 64)}
        lines.append(f"{network}: data parallelism beats one machine on the same global batch from a per-rank batch of "
                     + ", ".join(f"{max(1, math.ceil(c / (t1 * (p - 1))))} at {p} ranks" for p, c in comms.items())
                     + "; it is 90 % efficient from "
                     + ", ".join(f"{max(1, math.ceil((9 * c - t0) / t1))} at {p} ranks" for p, c in comms.items()))
        lines += ["", "| ranks | per-rank batch | step ms | communication ms | overlap saves ms | "
                      "images/s | efficiency |", "|---|---|---|---|---|---|---|"]
        for b in (32, 256):
            for p in RANKS:
                total, comm, saved = step(p, b, t0, t1, d_rest, recipe, network, True)
                lines.append(f"| {p} | {b} | {total * 1e3:.1f} | {comm * 1e3:.2f} | {saved * 1e3:.2f} | "
                             f"{p * b / total:,.0f} | {(t0 + t1 * b) / total:.0%} |")
        without = step(8, 32, t0, t1, d_rest, recipe, network, False)[0]
        with_ = step(8, 32, t0, t1, d_rest, recipe, network, True)[0]
        lines += ["", f"{network}, 8 ranks, per-rank batch 32: overlap predicted to save "
                      f"{(without - with_) * 1e3:.2f} ms of {without * 1e3:.1f} ms, {(without - with_) / without:.0%} "
                      f"of the step (communication alone {comm8 * 1e3:.2f} ms)", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--step32", type=float, required=True, help="measured step at batch 32, ms")
    p.add_argument("--step256", type=float, required=True, help="measured step at batch 256, ms")
    p.add_argument("--d-rest", type=float, required=True, help="D's backward after conv3 (conv2 + conv1), ms")
    p.add_argument("--recipe", default="default", choices=sorted(RECIPES))
    a = p.parse_args(argv)
    print(tables(a.step32 / 1e3, a.step256 / 1e3, a.d_rest / 1e3, a.recipe))


if __name__ == "__main__":
    main()
