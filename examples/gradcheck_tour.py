"""A gradient-check tour: every kernel's backward against finite differences, in a table
(each op's, the fused activations', BatchNorm's, dropout's with its key fixed, minibatch
stddev's, spectral norm's with u and v fixed, both losses'),
then what a wrong backward looks like (a transposed dW), caught by the same check.

    python examples/gradcheck_tour.py [--device cpu|cuda]

On cuda the kernels run on the GPU in float64 and the finite differences are taken
through them, so the check proves the CUDA backward as well.
"""

import argparse

import numpy as np

from kernels.specs import Activation, BatchNormSpec, ConvSpec, DenseSpec
from minigan.backends import get
from minigan.gradcheck import check_gradients


TOL = 1e-7  # the README's bound for float64 centred differences
DROPOUT_KEY = 987654321  # one key, one mask: dropout is then linear in x


def cases(K, up, down):
    """(name, forward, backward, inputs, input names) for every kernel with a backward;
    up/down move arrays to and from the device."""
    rng = np.random.default_rng(0)
    x2, w2, b2 = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    x4, w4, b4 = rng.standard_normal((2, 7, 7, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    away = rng.uniform(0.1, 2, (3, 4)) * rng.choice([-1, 1], (3, 4))  # away from relu's kink
    z, t = rng.standard_normal((8, 1)) * 2, rng.integers(0, 2, (8, 1)).astype(np.float64)
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    gamma, beta = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    h = rng.standard_normal((8, 3))
    # a fused activation: a small x against a bias far from 0 keeps every pre-activation off the kink
    xs, bias = rng.standard_normal((4, 5)) * 0.05, np.array([0.7, -0.6, 0.9])
    ws = rng.standard_normal((5, 3)) * 0.5
    w_sn, u, v = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    x_sn = rng.standard_normal((4, 5))
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)

    def f(fn):  # host arrays in, host arrays out, the kernel on the chosen device
        return lambda *a: down(fn(*[up(a_) for a_ in a]))

    def b(fn):  # the same for a backward returning a tuple
        return lambda *a: [down(g) for g in fn(*[up(a_) for a_ in a])]

    def layer(name, spec):  # 'dense', 'conv2d', 'batchnorm': y, and dy with a forward's cache -> the gradients
        forward, backward = getattr(K, f"{name}_forward"), getattr(K, f"{name}_backward")
        return (f(lambda *inputs: forward(*inputs, spec)[0]),
                b(lambda dy, *inputs: backward(dy, forward(*inputs, spec)[1])))

    plain = DenseSpec()

    def sigma_normalised(x, w):  # x @ (w / sigma(w)) + bias, u and v held fixed
        return K.dense_forward(x, w, up(bias), plain, K.spectral_norm_forward(w, up(u), up(v)))[0]

    def sigma_normalised_backward(dy, x, w):  # the kernel's dw holds sigma fixed; then sigma's own part
        sigma = K.spectral_norm_forward(w, up(u), up(v))
        dx, dw, _ = K.dense_backward(dy, K.dense_forward(x, w, up(bias), plain, sigma)[1])
        return dx, K.spectral_norm_backward(dw, w, up(u), up(v), sigma)

    return [
        ("dense", *layer("dense", plain), [x2, w2, b2], "x w b"),
        *[(f"dense + fused {kind}", *layer("dense", DenseSpec(Activation(kind, 0.2))), [xs, ws, bias], "x w b")
          for kind in ("relu", "leaky_relu")],
        ("conv2d k3 s2 same", *layer("conv2d", ConvSpec(2, "same")), [x4, w4, b4], "x w b"),
        ("conv2d k3 s3 valid", *layer("conv2d", ConvSpec(3, "valid")), [x4, w4, b4], "x w b"),
        ("relu", f(K.relu_forward), b(lambda dy, x: [K.relu_backward(dy, x)]), [away], "x"),
        ("leaky_relu", f(K.leaky_relu_forward), b(lambda dy, x: [K.leaky_relu_backward(dy, x)]), [away], "x"),
        ("tanh", f(K.tanh_forward), b(lambda dy, x: [K.tanh_backward(dy, K.tanh_forward(x))]), [away], "x"),
        ("sigmoid", f(K.sigmoid_forward), b(lambda dy, x: [K.sigmoid_backward(dy, K.sigmoid_forward(x))]), [away], "x"),
        ("batchnorm", *layer("batchnorm", BatchNormSpec()), [x2, gamma, beta], "x gamma beta"),
        ("dropout (key fixed)", f(lambda x: K.dropout_forward(x, 0.3, DROPOUT_KEY)),
         b(lambda dy, x: [K.dropout_backward(dy, 0.3, DROPOUT_KEY)]), [x2], "x"),
        ("minibatch stddev", f(lambda x: K.minibatch_stddev_forward(x, 4)),
         b(lambda dy, x: [K.minibatch_stddev_backward(dy, x, 4)]), [h], "h"),
        ("dense, spectral norm (u, v fixed)", f(sigma_normalised), b(sigma_normalised_backward), [x_sn, w_sn], "x w"),
        ("bce_with_logits", lambda z: K.bce_with_logits_forward(up(z), up(t)),
         lambda dy, z: [dy * down(K.bce_with_logits_backward(up(z), up(t)))], [z], "logits"),
        ("softmax cross-entropy", lambda lg: K.softmax_cross_entropy_forward(up(lg), up(labels)),
         lambda dy, lg: [dy * down(K.softmax_cross_entropy_backward(up(lg), up(labels)))], [logits], "logits"),
    ]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = p.parse_args(argv)
    K = get(args.device)
    up, down = K.to_device, K.to_host
    print(f"{'kernel':<28} {'input':<7} {'rel err':>10}")
    worst = 0.0
    for name, fwd, bwd, inputs, names in cases(K, up, down):
        h = 1e-5 if name == "batchnorm" else 1e-6  # BatchNorm's 1/std amplifies the differences' round-off
        report = check_gradients(fwd, bwd, inputs, names.split(), h=h, label=name)
        for r in report.results:
            print(f"{name:<28} {r.name:<7} {r.rel_error:>10.2e}")
        worst = max(worst, report.worst)
    print(f"worst relative error {worst:.2e}: {f'every backward agrees with finite differences (< {TOL:g})' if worst < TOL else 'MISMATCH'}")

    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)

    def transposed_dw(dy, x, w, b):  # the classic slip: dW = (x^T dy)^T instead of x^T dy
        _, cache = K.dense_forward(up(x), up(w), up(b), DenseSpec())
        dx, dw, db = (down(g) for g in K.dense_backward(up(dy), cache))
        return dx, dw.T, db

    report = check_gradients(lambda *a: down(K.dense_forward(*[up(v) for v in a], DenseSpec())[0]), transposed_dw,
                             [x, w, b], ["x", "w", "b"], seed=5, label="dense with a transposed dW (a deliberate bug)")
    print()
    print(report.table())
    print("caught: dW's error is of order 1 while dx and db still pass" if report.results[1].rel_error > 1e-2 else "NOT caught")
    return 0 if worst < TOL and report.results[1].rel_error > 1e-2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
