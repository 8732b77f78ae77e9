"""The lab's exercises: what the student writes, on which inputs it is checked, and what the
right answer is.

Every check runs two kinds of cases: fixed edge cases, the same at every seed (the shapes,
strides, slopes and settings where a common mistake cannot hide: N >= 2, H != W, a stride
above the kernel, a slope other than 0.2, BCE shaped (M, K), Adam with small gradients and
unusual betas, relu at exactly 0), and random ones drawn from a seeded generator (shapes the
student has not seen). An exercise knows three things about a case: how to call the
student's functions, minigan's answer (the readable engine's steps, in float64), and, for a
backward, the gradient by centred finite differences of the forward (minigan.gradcheck).
A case's inputs are every array the student's functions receive (and the forward's own
inputs): the grader checks that none of them changed, except those an in-place update
writes (Adam's param, m and v). Everything runs in float64 on small shapes, so plain Python
loops are fast enough.
"""

from dataclasses import dataclass, field

import numpy as np

from kernels.reference import readable_steps
from minigan.gradcheck import numerical_gradient, relative_error
from minigan.lab.mistakes import TOLERANCE

K = readable_steps()  # minigan's plain functions, by the lab's names


@dataclass
class Case:
    label: str
    inputs: dict  # name -> array or number: what the functions take, and the forward's inputs
    dy: np.ndarray = None  # the upstream gradient, for a backward
    info: dict = field(default_factory=dict)  # what the diagnoses need: batch size, stride, ...


def _batch(rng, lo=2, hi=5):
    return int(rng.integers(lo, hi + 1))


def _away_from_zero(rng, shape, gap=0.1):
    """Values with |v| >= gap: the kinks of relu-like functions stay off the random cases."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(gap, 2.0, shape)


class Exercise:
    name = ""
    title = ""
    writes = ()  # the functions the student writes
    given = ()  # the functions the stub gives
    gradients = ()  # the names of what the student's functions return, in order
    updates = ()  # the inputs the student's function must write into (an in-place update)

    def cases(self, rng):
        """The fixed edge cases (their values from rng), then the random ones."""
        return self.edge_cases(rng) + self.random_cases(rng)

    def edge_cases(self, rng):
        raise NotImplementedError

    def random_cases(self, rng):
        raise NotImplementedError

    def run_student(self, module, case):
        """-> the student's outputs, as a tuple in the order of self.gradients. The functions get
        the case's own arrays, not copies: the grader runs every call on a copy of its case, and
        what a call leaves in its inputs is part of what it returns (minigan/lab/grader.py)."""
        raise NotImplementedError

    def expected(self, case):
        """-> {name: minigan's reference answer}."""
        raise NotImplementedError

    def numeric(self, case):
        """-> {name: finite-difference estimate}; empty where there is no backward to check."""
        return {}

    def features(self, case):
        """-> {a property some cases have, in words: whether this one has it}: a fault seen in
        exactly the cases with one property is named by it (minigan/lab/grader.py)."""
        return {}

    def compared(self, grad, value, case):
        """-> (what it is called, the array the verdict judges) for a returned array: the array itself."""
        return grad, np.asarray(value, np.float64)

    def relative_error(self, grad, value, reference, case):
        """max |value - reference| over the larger array's largest entry (minigan.gradcheck's), of
        what the verdict judges (compared)."""
        return relative_error(self.compared(grad, value, case)[1], self.compared(grad, reference, case)[1])

    def same(self, grad, value, reference, case):
        """Whether ``value`` is ``reference`` to float64 round-off (the verdict's test)."""
        value, reference = np.asarray(value, np.float64), np.asarray(reference, np.float64)
        return value.shape == reference.shape and self.relative_error(grad, value, reference, case) <= TOLERANCE


def _numeric_grads(forward, case, wrt):
    """d sum(dy * forward(**inputs)) / d inputs[name] for each (gradient name, input name) in wrt."""
    inputs = {k: (np.array(v, np.float64) if isinstance(v, np.ndarray) else v) for k, v in case.inputs.items()}
    dy = case.dy

    def loss():
        out = forward(**inputs)
        return float(np.sum(dy * out)) if dy is not None else float(out)

    return {grad: numerical_gradient(loss, inputs[name]) for grad, name in wrt}


class Dense(Exercise):
    name, title = "dense", "the Dense layer's backward: dx, dw, db"
    writes, given, gradients = ("dense_backward",), ("dense_forward",), ("dx", "dw", "db")

    def case(self, rng, N, D, M):
        x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
        return Case(f"x {x.shape}, w {w.shape}", dict(x=x, w=w, b=b), rng.standard_normal((N, M)), dict(N=N))

    def edge_cases(self, rng):
        # three different sizes (a transpose cannot take the right shape); all equal (it can)
        return [self.case(rng, 3, 5, 2), self.case(rng, 4, 4, 4)]

    def random_cases(self, rng):
        out = []
        for _ in range(2):
            N, D = _batch(rng), int(rng.integers(2, 7))
            out.append(self.case(rng, N, D, int(rng.choice([m for m in range(2, 8) if m != D]))))
        return out

    def run_student(self, module, case):
        i = case.inputs
        return module.dense_backward(case.dy, i["x"], i["w"])

    def expected(self, case):
        i = case.inputs
        return dict(zip(self.gradients, K.dense_backward(case.dy, i["x"], i["w"])))

    def numeric(self, case):
        return _numeric_grads(lambda x, w, b: K.dense_forward(x, w, b), case,
                              [("dx", "x"), ("dw", "w"), ("db", "b")])


class Elementwise(Exercise):
    """An activation's backward; kind names minigan's kernels (relu_forward, ...). Its second
    argument is the forward's input x (relu, leaky_relu) or its output y (tanh, sigmoid), as the
    readable engine's training step passes it (kernels/reference/engine.py)."""

    gradients = ("dx",)
    takes_output = False  # backward(dy, y) with y the forward's output (tanh, sigmoid)
    alphas = None  # the slopes a case may draw (leaky_relu)

    def forward(self, x, alpha=None):
        f = getattr(K, f"{self.name}_forward")
        return f(x) if alpha is None else f(x, alpha)

    def case(self, rng, x, alpha=None, label="", **info):
        inputs = dict(x=x) if alpha is None else dict(x=x, alpha=alpha)
        if self.takes_output:
            inputs["y"] = self.forward(x)
        text = f"x {x.shape}" + ("" if alpha is None else f", alpha {alpha}") + label
        return Case(text, inputs, rng.standard_normal(x.shape), info)

    def edge_cases(self, rng):
        x = _away_from_zero(rng, (4, 3)) * 1.5
        return [self.case(rng, x, None if self.alphas is None else 0.05)]

    def random_cases(self, rng):
        out = []
        for _ in range(2):
            x = _away_from_zero(rng, (_batch(rng), int(rng.integers(2, 6)))) * 1.5
            out.append(self.case(rng, x, None if self.alphas is None else float(rng.choice(self.alphas))))
        return out

    def _second(self, case):
        return case.inputs["y" if self.takes_output else "x"]

    def _call(self, backward, case):
        args = (case.dy, self._second(case))
        return backward(*args) if "alpha" not in case.inputs else backward(*args, case.inputs["alpha"])

    def run_student(self, module, case):
        return (self._call(getattr(module, f"{self.name}_backward"), case),)

    def features(self, case):
        x = case.inputs["x"]
        return {"a 4-D input": x.ndim == 4, "x exactly 0 somewhere": bool(np.any(x == 0))}

    def expected(self, case):
        return {"dx": self._call(getattr(K, f"{self.name}_backward"), case)}

    def numeric(self, case):
        if case.info.get("kink"):  # no finite difference at a kink
            return {}
        return _numeric_grads(lambda x, alpha=None, y=None: self.forward(x, alpha), case, [("dx", "x")])


def _conv_activation(rng):
    """A 4-D input, as a convolution's activation in training (N, H, W, C)."""
    return _away_from_zero(rng, (2, 3, 4, 2))


class Relu(Elementwise):
    name, title, writes, given = "relu", "relu's backward", ("relu_backward",), ("relu_forward",)

    def edge_cases(self, rng):
        x = _away_from_zero(rng, (4, 5))
        x.reshape(-1)[rng.choice(x.size, 6, replace=False)] = 0.0
        # at x == 0 training takes slope 0 (a zero bias on an all-zero input gives exact zeros)
        return [self.case(rng, x, label=", exact zeros (slope 0 there, as in training)", kink=True),
                self.case(rng, _conv_activation(rng), label=" (4-D, a conv layer's)")]


class LeakyRelu(Elementwise):
    name, title = "leaky_relu", "LeakyReLU's backward"
    writes, given, alphas = ("leaky_relu_backward",), ("leaky_relu_forward",), (0.1, 0.2, 0.3)

    def edge_cases(self, rng):
        return [self.case(rng, _away_from_zero(rng, (4, 3)), 0.05),
                self.case(rng, _conv_activation(rng), 0.3, label=" (4-D, a conv layer's)")]


class Tanh(Elementwise):
    name, title, writes, given, takes_output = "tanh", "tanh's backward, from its output", ("tanh_backward",), \
        ("tanh_forward",), True


class Sigmoid(Elementwise):
    """Both functions are the student's; the forward is checked on its values, including
    x = +-1000, where the naive ways of writing it overflow."""

    name, title, takes_output = "sigmoid", "the sigmoid, forward (without overflow) and backward", True
    writes, given, gradients = ("sigmoid_forward", "sigmoid_backward"), (), ("y", "dx")

    def cases(self, rng):
        x = np.array([[-1000.0, -40.0, 0.5], [1000.0, 40.0, -0.5]])
        return super().cases(rng) + [Case("x = +-1000, +-40, +-0.5 (overflow)", dict(x=x, y=K.sigmoid_forward(x)),
                                          rng.standard_normal(x.shape), dict(overflow=True))]

    def run_student(self, module, case):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is judged on the values
            y = module.sigmoid_forward(case.inputs["x"])
        return y, module.sigmoid_backward(case.dy, case.inputs["y"])

    def expected(self, case):
        return {"y": case.inputs["y"], "dx": K.sigmoid_backward(case.dy, case.inputs["y"])}

    def numeric(self, case):
        return {} if case.info.get("overflow") else super().numeric(case)


class BceWithLogits(Exercise):
    name, title = "bce_with_logits", "binary cross-entropy on logits, its backward"
    writes, given, gradients = ("bce_with_logits_backward",), ("bce_with_logits_forward",), ("dlogits",)

    def case(self, rng, shape, soft=False):
        z = rng.standard_normal(shape) * 3
        t = rng.uniform(0, 1, shape) if soft else rng.integers(0, 2, shape).astype(np.float64)
        return Case(f"logits {shape}" + (", soft targets" if soft else ""), dict(logits=z, targets=t),
                    info=dict(M=z.size, rows=shape[0]))

    def edge_cases(self, rng):
        # (M, K) with K > 1: a mean over rows is not the mean over entries; 1-D; the GAN's (M, 1);
        # logits exactly 0, where a piecewise derivative of the stable form (z > 0, sign(z)) drops
        # both halves (a D whose last layer starts at zero gives exactly 0)
        at_zero = self.case(rng, (4, 2))
        at_zero.inputs["logits"][::2] = 0.0
        at_zero.label += ", some exactly 0"
        return [self.case(rng, (4, 3)), self.case(rng, (6,), soft=True), self.case(rng, (5, 1)), at_zero]

    def random_cases(self, rng):
        shapes = [(int(rng.integers(3, 9)), 1), (int(rng.integers(2, 6)), int(rng.integers(2, 4)))]
        out = [self.case(rng, shape, soft=k == 1) for k, shape in enumerate(shapes)]
        z = np.array([[-1000.0], [1000.0], [-40.0], [40.0]])
        out.append(Case("logits +-1000, +-40 (overflow)", dict(logits=z, targets=np.array([[1.0], [0.0], [1.0], [0.0]])),
                        info=dict(M=4, rows=4, overflow=True)))
        return out

    def run_student(self, module, case):
        i = case.inputs
        with np.errstate(over="ignore", invalid="ignore"):
            return (module.bce_with_logits_backward(i["logits"], i["targets"]),)

    def features(self, case):
        z, t = case.inputs["logits"], case.inputs["targets"]
        return {"soft targets (between 0 and 1)": bool(np.any((t > 0) & (t < 1))), "1-D logits": z.ndim == 1,
                "more than one column": z.ndim == 2 and z.shape[1] > 1, "logits exactly 0": bool(np.any(z == 0))}

    def expected(self, case):
        return {"dlogits": K.bce_with_logits_backward(case.inputs["logits"], case.inputs["targets"])}

    def numeric(self, case):
        if case.info.get("overflow"):
            return {}
        return _numeric_grads(lambda logits, targets: K.bce_with_logits_forward(logits, targets), case,
                              [("dlogits", "logits")])


class Conv2D(Exercise):
    name, title = "conv2d", "the convolution's backward, with stride and padding"
    writes, given, gradients = ("conv2d_backward",), ("conv2d_forward",), ("dx", "dw", "db")
    # (stride, padding, (KH, KW)): the stride above, equal to and below the kernel, with and
    # without padding, and non-square kernels (kh and kw cannot be swapped unseen); no two of
    # these properties hold in the same cases, so that a fault seen only where one holds names it
    GEOMETRIES = ((3, 0, (2, 2)), (3, 1, (2, 3)), (2, 1, (3, 2)), (2, 0, (2, 3)), (1, 1, (2, 2)), (2, 0, (3, 3)))

    def case(self, rng, stride, padding, kernel, N, C, F, H, W):
        KH, KW = kernel
        x, w, b = rng.standard_normal((N, H, W, C)), rng.standard_normal((KH, KW, C, F)), rng.standard_normal(F)
        y = K.conv2d_forward(x, w, b, stride, padding)
        return Case(f"x {x.shape}, w {w.shape}, stride {stride}, padding {padding}",
                    dict(x=x, w=w, b=b, stride=stride, padding=padding), rng.standard_normal(y.shape),
                    dict(N=N, stride=stride, padding=padding))

    def edge_cases(self, rng):
        # N >= 2, H != W, C != F: every geometry, on shapes where no axis can stand in for another
        sizes = ((2, 7, 8), (3, 6, 8), (2, 8, 7), (2, 7, 5), (3, 5, 6), (2, 8, 9))
        return [self.case(rng, s, p, k, N, 2, 3, H, W) for (s, p, k), (N, H, W) in zip(self.GEOMETRIES, sizes)]

    def random_cases(self, rng):
        out = []
        for j in rng.choice(len(self.GEOMETRIES), 2, replace=False):
            stride, padding, (KH, KW) = self.GEOMETRIES[j]
            H, W = int(rng.integers(KH + 2, KH + 5)), int(rng.integers(KW + 2, KW + 5))
            out.append(self.case(rng, stride, padding, (KH, KW), _batch(rng, 2, 3), int(rng.integers(1, 4)),
                                 int(rng.integers(1, 4)), H, W))
        return out

    def run_student(self, module, case):
        i = case.inputs
        return module.conv2d_backward(case.dy, i["x"], i["w"], i["stride"], i["padding"])

    def features(self, case):
        i = case.inputs
        s, (KH, KW) = i["stride"], i["w"].shape[:2]
        return {"a stride above 1": s > 1, "padding": i["padding"] > 0, "a kernel that is not square": KH != KW,
                "a stride above the kernel": s > min(KH, KW)}

    def expected(self, case):
        i = case.inputs
        return dict(zip(self.gradients, K.conv2d_backward(case.dy, i["x"], i["w"], i["stride"], i["padding"])))

    def numeric(self, case):
        return _numeric_grads(lambda x, w, b, stride, padding: K.conv2d_forward(x, w, b, stride, padding),
                              case, [("dx", "x"), ("dw", "w"), ("db", "b")])


class BatchNorm(Exercise):
    name, title = "batchnorm", "BatchNorm's backward (training mode)"
    writes, given, gradients = ("batchnorm_backward",), ("batchnorm_forward",), ("dx", "dgamma", "dbeta")
    EPS = 1e-3

    def case(self, rng, N, F):
        x = rng.standard_normal((N, F)) * rng.uniform(0.5, 3.0, F) + rng.standard_normal(F)
        gamma, beta = rng.uniform(0.5, 2.0, F), rng.standard_normal(F)
        _, _, inv_std, xhat = K.batchnorm_forward(x, gamma, beta, self.EPS)  # what the forward hands the backward
        return Case(f"x ({N}, {F})", dict(x=x, gamma=gamma, beta=beta, xhat=xhat, inv_std=inv_std),
                    rng.standard_normal((N, F)), dict(N=N))

    def edge_cases(self, rng):
        return [self.case(rng, 5, 3), self.case(rng, 3, 4)]  # N = 2 would make xhat +-1: no N >= 3 test there

    def random_cases(self, rng):
        return [self.case(rng, _batch(rng, 3, 6), int(rng.integers(2, 5))) for _ in range(2)]

    def run_student(self, module, case):
        i = case.inputs
        return module.batchnorm_backward(case.dy, i["xhat"], i["gamma"], i["inv_std"])

    def expected(self, case):
        i = case.inputs
        return dict(zip(self.gradients, K.batchnorm_backward(case.dy, i["xhat"], i["gamma"], i["inv_std"])))

    def numeric(self, case):
        return _numeric_grads(lambda x, gamma, beta, **saved: K.batchnorm_forward(x, gamma, beta, self.EPS)[0], case,
                              [("dx", "x"), ("dgamma", "gamma"), ("dbeta", "beta")])


class Adam(Exercise):
    """Judged on the update: param - param0 against minigan's, relative to the update's own size
    (minigan/lab/grader.py), so that a tolerance of 1e-7 means 1e-7 of the step, not of param."""

    name, title = "adam", "one Adam step, in place"
    writes, given, gradients, updates = ("adam_update",), (), ("param", "m", "v"), ("param", "m", "v")

    def case(self, rng, step, lr, beta1, beta2, eps, scale, shape=None):
        shape = shape or (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
        first = step == 1  # the moments start at zero
        grad = rng.standard_normal(shape) * scale
        m = np.zeros(shape) if first else rng.standard_normal(shape) * scale
        v = np.zeros(shape) if first else rng.uniform(0.1, 2.0, shape) * scale ** 2
        return Case(f"param {shape}, step {step}, lr {lr:g}, beta1 {beta1:g}, beta2 {beta2:g}, eps {eps:g}, "
                    f"grad ~{scale:g}", dict(param=rng.standard_normal(shape), grad=grad, m=m, v=v, step=step,
                                              lr=lr, beta1=beta1, beta2=beta2, eps=eps))

    def edge_cases(self, rng):
        # the defaults at t = 1; gradients small enough for eps to count, every setting varied; a
        # bias's 1-D and a conv kernel's 4-D shape, as training updates them
        return [self.case(rng, 1, 1e-3, 0.9, 0.999, 1e-8, 1e-2), self.case(rng, 3, 2e-3, 0.8, 0.99, 1e-6, 1e-6, (5,)),
                self.case(rng, 12, 0.01, 0.5, 0.9, 1e-4, 1e-3, (2, 2, 2, 3))]

    def random_cases(self, rng):
        return [self.case(rng, int(rng.integers(2, 50)), float(rng.choice([1e-3, 2e-4, 5e-3])),
                          float(rng.choice([0.9, 0.5, 0.7])), float(rng.choice([0.999, 0.99, 0.95])),
                          float(rng.choice([1e-8, 1e-7])), float(rng.choice([1e-2, 1e-4]))) for _ in range(2)]

    def compared(self, grad, value, case):
        if grad != "param":
            return super().compared(grad, value, case)
        # the step against the step: param is ~1, a step ~lr
        return "param's step (param - param before)", np.asarray(value, np.float64) - case.inputs["param"]

    def features(self, case):
        i = case.inputs
        return {"a step after the first (m and v not 0)": i["step"] > 1,
                "small gradients (where eps counts)": float(np.abs(i["grad"]).max()) < 1e-3,
                "a 1-D parameter": i["param"].ndim == 1, "a 4-D parameter": i["param"].ndim == 4}

    def run_student(self, module, case):
        i = case.inputs
        module.adam_update(i["param"], i["grad"], i["m"], i["v"], i["step"], i["lr"], i["beta1"], i["beta2"], i["eps"])
        return i["param"], i["m"], i["v"]  # updated in place

    def expected(self, case):
        i = case.inputs
        p, m, v = i["param"].copy(), i["m"].copy(), i["v"].copy()
        K.adam_update(p, i["grad"], m, v, i["step"], i["lr"], i["beta1"], i["beta2"], i["eps"])
        return {"param": p, "m": m, "v": v}


EXERCISES = {e.name: e for e in (Dense(), Relu(), LeakyRelu(), Tanh(), Sigmoid(), BceWithLogits(), Conv2D(),
                                 BatchNorm(), Adam())}
