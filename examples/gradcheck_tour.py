"""A gradient-check tour: every kernel's backward against finite differences, in a table,
then what a wrong backward looks like (a transposed dW), caught by the same check.

    python examples/gradcheck_tour.py [--device cpu|cuda]

On cuda the kernels run on the GPU in float64 and the finite differences are taken
through them, so the check proves the CUDA backward as well.
"""

import argparse

import numpy as np

from minigan.backends import get
from minigan.gradcheck import check_gradients


def cases(K, up, down):
    """(name, forward, backward, inputs) for every kernel family; up/down move arrays."""
    rng = np.random.default_rng(0)
    x2, w2, b2 = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    x4, w4, b4 = rng.standard_normal((2, 7, 7, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
    away = rng.uniform(0.1, 2, (3, 4)) * rng.choice([-1, 1], (3, 4))  # away from relu's kink
    z, t = rng.standard_normal((8, 1)) * 2, rng.integers(0, 2, (8, 1)).astype(np.float64)

    def f(fn):  # host arrays in, host arrays out, the kernel on the chosen device
        return lambda *a: down(fn(*[up(v) for v in a]))

    return [
        ("dense", f(K.dense_forward), lambda dy, x, w, b: [down(g) for g in K.dense_backward(up(dy), up(x), up(w))], [x2, w2, b2]),
        ("conv2d k3 s2 same", f(lambda x, w, b: K.conv2d_forward(x, w, b, 2, "same")),
         lambda dy, x, w, b: [down(g) for g in K.conv2d_backward(up(dy), up(x), up(w), 2, "same")], [x4, w4, b4]),
        ("conv2d k3 s3 valid", f(lambda x, w, b: K.conv2d_forward(x, w, b, 3, "valid")),
         lambda dy, x, w, b: [down(g) for g in K.conv2d_backward(up(dy), up(x), up(w), 3, "valid")], [x4, w4, b4]),
        ("relu", f(K.relu_forward), lambda dy, x: [down(K.relu_backward(up(dy), up(x)))], [away]),
        ("leaky_relu", f(K.leaky_relu_forward), lambda dy, x: [down(K.leaky_relu_backward(up(dy), up(x)))], [away]),
        ("tanh", f(K.tanh_forward), lambda dy, x: [down(K.tanh_backward(up(dy), K.tanh_forward(up(x))))], [away]),
        ("sigmoid", f(K.sigmoid_forward), lambda dy, x: [down(K.sigmoid_backward(up(dy), K.sigmoid_forward(up(x))))], [away]),
        ("bce_with_logits", lambda z: K.bce_with_logits_forward(up(z), up(t)),
         lambda dy, z: [dy * down(K.bce_with_logits_backward(up(z), up(t)))], [z]),
    ]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = p.parse_args(argv)
    K = get(args.device)
    up, down = K.to_device, K.to_host
    print(f"{'kernel':<20} {'input':<6} {'rel err':>10}")
    worst = 0.0
    for name, fwd, bwd, inputs in cases(K, up, down):
        names = ["x", "w", "b"][: len(inputs)]
        report = check_gradients(fwd, bwd, inputs, names, label=name)
        for r in report.results:
            print(f"{name:<20} {r.name:<6} {r.rel_error:>10.2e}")
        worst = max(worst, report.worst)
    print(f"worst relative error {worst:.2e}: {'all backward passes agree with finite differences' if worst < 1e-6 else 'MISMATCH'}")

    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 3)), rng.standard_normal(3)

    def transposed_dw(dy, x, w, b):  # the classic slip: dW = (x^T dy)^T instead of x^T dy
        dx, dw, db = (down(g) for g in K.dense_backward(up(dy), up(x), up(w)))
        return dx, dw.T, db

    report = check_gradients(lambda *a: down(K.dense_forward(*[up(v) for v in a])), transposed_dw, [x, w, b],
                             ["x", "w", "b"], seed=5, label="dense with a transposed dW (a deliberate bug)")
    print()
    print(report.table())
    print("caught: dW's error is of order 1 while dx and db still pass" if report.results[1].rel_error > 1e-2 else "NOT caught")
    return 0 if worst < 1e-6 and report.results[1].rel_error > 1e-2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
