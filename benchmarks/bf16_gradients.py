"""One training step in bfloat16 products (and in float32) against the same step in float64,
layer by layer; and the step's gradients against bfloat16's range. docs/precision.md quotes it.

    python -m benchmarks.bf16_gradients [--recipe default] [--batch-size 32] [--steps 1]

Every run starts from the same weights (float32 numbers, held exactly by float64) and takes
the same real batch and noise. After `steps` steps it prints, for every gradient of the last
step (D's from the D step, G's from the G step), ||g - g64|| / ||g64|| at bfloat16 and at
float32, and the losses' relative errors. Then, for loss scaling: the smallest magnitude
among the upstream gradients every layer's backward received (the operands bfloat16 rounds)
and among the parameter gradients, against bfloat16's smallest normal and subnormal numbers.
First, --arithmetic alone: what bfloat16's 8 bits do to a product, a sum, Adam's updates, a
variance and the loss, each measured with minigan's own rounding (kernels.cpu.round_to_bfloat16).
"""

import argparse

import numpy as np

import kernels.cpu as K
from minigan.gan import GAN
from minigan.recipes import RECIPES

SMALLEST_NORMAL = 2.0 ** -126  # float32's and bfloat16's: the same exponent range
SMALLEST_SUBNORMAL_BF16 = 2.0 ** -133  # 7 mantissa bits below the smallest normal


class UpstreamGradients:
    """The kernel module, noting the smallest nonzero |dy| each layer's backward receives."""

    def __init__(self, ops):
        self.ops, self.smallest = ops, {}

    def __getattr__(self, name):
        kernel = getattr(self.ops, name)
        if name not in ("dense_backward", "conv2d_backward"):
            return kernel

        def noted(dy, cache, **kwargs):
            key = (name.split("_")[0], cache.w.shape)
            nonzero = np.abs(dy[dy != 0])
            if nonzero.size:
                self.smallest[key] = min(self.smallest.get(key, np.inf), float(nonzero.min()))
            return kernel(dy, cache, **kwargs)

        return noted


def gans(recipe, ops=K, seed=0):
    """{precision name: GAN} from one set of float32 weights: 'float64', 'float32', 'bf16'."""
    made = {"float32": GAN(recipe, np.random.default_rng(seed), ops, np.float32),
            "bf16": GAN(recipe, np.random.default_rng(seed), ops, np.float32, precision="bf16"),
            "float64": GAN(recipe, np.random.default_rng(seed), ops, np.float64)}
    weights = made["float32"].named_arrays()
    made["float64"].load_state({k: np.asarray(v, np.float64) for k, v in weights.items()}, with_optimizers=False)
    return made


def step_errors(recipe, batch=32, steps=1, seed=0, ops=K):
    """-> ({precision: {"d_loss", "g_loss": relative error}}, {precision: {gradient name: ||g - g64|| / ||g64||}},
    the float64 gradients), after `steps` steps of each GAN on the same data."""
    data = np.random.default_rng(seed + 1)
    batches = [(data.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32),
                data.standard_normal((batch, 100)).astype(np.float32)) for _ in range(steps)]
    losses, grads = {}, {}
    for name, gan in gans(recipe, ops, seed).items():
        for real, z in batches:
            losses[name] = gan.train_step(real.astype(gan.dtype), z.astype(gan.dtype))
        grads[name] = {**{f"D/{k}": np.array(v, np.float64) for k, v in gan.D.grads().items()},
                       **{f"G/{k}": np.array(v, np.float64) for k, v in gan.G.grads().items()}}
    exact, exact_loss = grads.pop("float64"), losses.pop("float64")
    loss_errors = {p: {k: abs(v[k] - exact_loss[k]) / abs(exact_loss[k]) for k in ("d_loss", "g_loss")}
                   for p, v in losses.items()}
    grad_errors = {p: {k: float(np.linalg.norm(g[k] - exact[k]) / np.linalg.norm(exact[k])) for k in exact}
                   for p, g in grads.items()}
    return loss_errors, grad_errors, exact


def smallest_gradients(recipe, batch=32, seed=0):
    """-> ({(layer kind, w shape): smallest nonzero |dy|}, smallest nonzero |parameter gradient|)
    over one bf16 step."""
    ops = UpstreamGradients(K)
    gan = GAN(recipe, np.random.default_rng(seed), ops, np.float32, precision="bf16")
    data = np.random.default_rng(seed + 1)
    gan.train_step(data.uniform(-1, 1, (batch, 28, 28, 1)).astype(np.float32),
                   data.standard_normal((batch, 100)).astype(np.float32))
    params = [np.abs(g[g != 0]) for g in (*gan.D.grads().values(), *gan.G.grads().values())]
    return ops.smallest, float(min(p.min() for p in params if p.size))


def r(x):
    """x rounded to bfloat16 and widened back (float64 for the arithmetic around it)."""
    return K.bfloat16_to_float32(K.round_to_bfloat16(np.asarray(x, np.float32))).astype(np.float64)


def arithmetic(seed=0):
    """-> lines: what bfloat16's rounding does to the step's kinds of arithmetic."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(1_000_000), rng.standard_normal(1_000_000)
    a, b = a.astype(np.float32).astype(np.float64), b.astype(np.float32).astype(np.float64)
    one = np.abs(r(a) - a) / np.abs(a)
    two = np.abs(r(a) * r(b) - a * b) / np.abs(a * b)
    lines = [f"one rounding: relative error max {one.max():.2e} (u = 2^-8 = {2.0 ** -8:.2e}), rms {np.sqrt(np.mean(one ** 2)):.2e}",
             f"a product of two rounded numbers: max {two.max():.2e} (2u + u^2 = {2 * 2.0 ** -8 + 2.0 ** -16:.2e}), "
             f"rms {np.sqrt(np.mean(two ** 2)):.2e}"]
    terms = r(rng.uniform(0, 1, 2304))  # a row of conv3's product: 2304 terms
    exact = terms.sum()
    total = 0.0
    for t in terms:  # every partial sum rounded to bfloat16, as a bfloat16 accumulator would
        total = float(r([total + t])[0])
    f32 = float(np.sum(terms.astype(np.float32), dtype=np.float32))
    lines.append(f"a sum of 2304 terms in [0, 1]: accumulated in bfloat16 {abs(total - exact) / exact:.2e} off, in float32 "
                 f"{abs(f32 - exact) / exact:.2e}: past 256 times a term, a bfloat16 sum stops taking terms below half an ulp")
    gan = GAN(RECIPES["default"], np.random.default_rng(seed), K, np.float32)
    w = np.concatenate([v.ravel() for k, v in gan.named_arrays().items() if k.endswith("/w")]).astype(np.float64)
    step = 2e-4  # Adam's first update is lr * sign(g), the default lr
    lost = np.mean(r(r(w) + step) == r(w))
    lines.append(f"Adam's first update, lr = 2e-4, on the default GAN's kernels held in bfloat16: {lost:.1%} of them "
                 f"round back to the weight they started from (float32: {np.mean(np.float32(w) + np.float32(step) == np.float32(w)):.1%})")
    x = 3.0 + 0.05 * rng.standard_normal(4096)  # a feature with mean 3 and std 0.05
    var64 = x.var()
    two_pass = np.mean((r(x) - np.mean(r(x))) ** 2)  # float32-like arithmetic on bfloat16 inputs
    one_pass = float(r([r([np.mean(r(x) ** 2)])[0] - r([np.mean(r(x))])[0] ** 2])[0])  # E[x^2] - E[x]^2, bfloat16 results
    lines.append(f"a BatchNorm variance, mean 3, std 0.05 (true {var64:.2e}): from bfloat16 inputs, two passes in "
                 f"float32 {two_pass:.2e}; E[x^2] - E[x]^2 with bfloat16 results {one_pass:.2e} (spacing near 9: 2^-4)")
    lines.append(f"the loss near log 2: bfloat16's spacing there is {2.0 ** -9:.1e}, float32's {2.0 ** -25:.1e}")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", default="default", choices=sorted(RECIPES))
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--arithmetic", action="store_true", help="print the arithmetic section only")
    args = p.parse_args(argv)
    if args.arithmetic:
        print("\n".join(arithmetic()))
        return
    recipe = RECIPES[args.recipe]
    loss_errors, grad_errors, exact = step_errors(recipe, args.batch_size, args.steps)
    print(f"recipe {args.recipe!r}, batch {args.batch_size}, step {args.steps}: relative error against float64")
    print(f"{'':22s} {'bf16':>9s} {'float32':>9s}   ||g64||")
    for key in ("d_loss", "g_loss"):
        print(f"{key:22s} {loss_errors['bf16'][key]:9.2e} {loss_errors['float32'][key]:9.2e}")
    for name in exact:
        print(f"{name:22s} {grad_errors['bf16'][name]:9.2e} {grad_errors['float32'][name]:9.2e}   "
              f"{np.linalg.norm(exact[name]):.2e}")
    upstream, param = smallest_gradients(recipe, args.batch_size)
    print(f"smallest nonzero |gradient|, bf16 step; bfloat16's smallest normal {SMALLEST_NORMAL:.1e}, "
          f"smallest subnormal {SMALLEST_SUBNORMAL_BF16:.1e}")
    for (kind, shape), value in upstream.items():
        print(f"  upstream dy of {kind} {shape}: {value:.2e}")
    print(f"  parameter gradients: {param:.2e}")


if __name__ == "__main__":
    main()
