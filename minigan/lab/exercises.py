"""The lab's exercises: what the student writes, on which inputs it is checked, and what the
right answer is.

Each exercise draws its cases from a seeded generator (random shapes the student has not
seen, and for the convolution random strides and paddings) and knows three things about a
case: how to call the student's functions, minigan's answer (the readable engine's steps, in
float64), and, for a backward, the gradient by centred finite differences of the forward
(minigan.gradcheck). Everything runs in float64 on small shapes, so plain Python loops are
fast enough.
"""

from dataclasses import dataclass, field

import numpy as np

from kernels.reference import readable_steps
from minigan.gradcheck import numerical_gradient

K = readable_steps()  # minigan's plain functions, by the lab's names


@dataclass
class Case:
    label: str
    inputs: dict  # name -> array or number, as the functions take them
    dy: np.ndarray = None  # the upstream gradient, for a backward
    info: dict = field(default_factory=dict)  # what the diagnoses need: batch size, stride, ...


def _batch(rng, lo=2, hi=5):
    return int(rng.integers(lo, hi + 1))


def _away_from_zero(rng, shape, gap=0.1):
    """Values with |v| >= gap: relu-like kinks are not differentiable at 0, so no case sits there."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(gap, 2.0, shape)


class Exercise:
    name = ""
    title = ""
    writes = ()  # the functions the student writes
    given = ()  # the functions the stub gives
    gradients = ()  # the names of what the student's functions return, in order

    def cases(self, rng):
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

    def cases(self, rng):
        out = []
        for k in range(3):
            N, D = _batch(rng), int(rng.integers(2, 7))
            M = D if k == 2 else int(rng.choice([m for m in range(2, 8) if m != D]))  # one square case
            x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, M)), rng.standard_normal(M)
            out.append(Case(f"x {x.shape}, w {w.shape}", dict(x=x, w=w, b=b), rng.standard_normal((N, M)), dict(N=N)))
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
    """An activation's backward; kind names minigan's kernels (relu_forward, ...)."""

    gradients = ("dx",)
    takes_output = False  # backward(dy, y) with y the forward's output (tanh, sigmoid)
    alpha = None

    def forward(self, x, alpha=None):
        f = getattr(K, f"{self.name}_forward")
        return f(x) if alpha is None else f(x, alpha)

    def cases(self, rng):
        out = []
        for _ in range(3):
            shape = (_batch(rng), int(rng.integers(2, 6)))
            x = _away_from_zero(rng, shape) * 1.5
            inputs = dict(x=x) if self.alpha is None else dict(x=x, alpha=float(rng.choice([0.1, 0.2, 0.3])))
            out.append(Case(f"x {shape}" + (f", alpha {inputs['alpha']}" if "alpha" in inputs else ""), inputs,
                            rng.standard_normal(shape)))
        return out

    def _second(self, case):
        x = case.inputs["x"]
        return self.forward(x, case.inputs.get("alpha")) if self.takes_output else x

    def run_student(self, module, case):
        backward = getattr(module, f"{self.name}_backward")
        args = (case.dy, self._second(case))
        return (backward(*args) if "alpha" not in case.inputs else backward(*args, case.inputs["alpha"]),)

    def expected(self, case):
        backward = getattr(K, f"{self.name}_backward")
        args = (case.dy, self._second(case))
        return {"dx": backward(*args) if "alpha" not in case.inputs else backward(*args, case.inputs["alpha"])}

    def numeric(self, case):
        return _numeric_grads(lambda x, alpha=None: self.forward(x, alpha), case, [("dx", "x")])


class Relu(Elementwise):
    name, title, writes, given = "relu", "relu's backward", ("relu_backward",), ("relu_forward",)


class LeakyRelu(Elementwise):
    name, title = "leaky_relu", "LeakyReLU's backward"
    writes, given, alpha = ("leaky_relu_backward",), ("leaky_relu_forward",), 0.2


class Tanh(Elementwise):
    name, title, writes, given, takes_output = "tanh", "tanh's backward, from its output", ("tanh_backward",), \
        ("tanh_forward",), True


class Sigmoid(Elementwise):
    """Both functions are the student's; the forward is checked on its values, including
    x = +-1000, where the naive ways of writing it overflow."""

    name, title, takes_output = "sigmoid", "the sigmoid, forward (without overflow) and backward", True
    writes, given, gradients = ("sigmoid_forward", "sigmoid_backward"), (), ("y", "dx")

    def cases(self, rng):
        out = super().cases(rng)
        x = np.array([[-1000.0, -40.0, 0.5], [1000.0, 40.0, -0.5]])
        out.append(Case("x = +-1000, +-40, +-0.5 (overflow)", dict(x=x), rng.standard_normal(x.shape), dict(overflow=True)))
        return out

    def run_student(self, module, case):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is judged on the values
            y = module.sigmoid_forward(case.inputs["x"])
        return y, module.sigmoid_backward(case.dy.copy(), K.sigmoid_forward(case.inputs["x"]))

    def expected(self, case):
        y = K.sigmoid_forward(case.inputs["x"])
        return {"y": y, "dx": K.sigmoid_backward(case.dy, y)}

    def numeric(self, case):
        return {} if case.info.get("overflow") else super().numeric(case)


class BceWithLogits(Exercise):
    name, title = "bce_with_logits", "binary cross-entropy on logits, its backward"
    writes, given, gradients = ("bce_with_logits_backward",), ("bce_with_logits_forward",), ("dlogits",)

    def cases(self, rng):
        out = []
        for k in range(3):
            M = int(rng.integers(3, 9))
            z = rng.standard_normal((M, 1)) * 3
            t = rng.integers(0, 2, (M, 1)).astype(np.float64) if k < 2 else rng.uniform(0, 1, (M, 1))
            out.append(Case(f"logits ({M}, 1)" + (", soft targets" if k == 2 else ""), dict(logits=z, targets=t),
                            info=dict(M=M)))
        z = np.array([[-1000.0], [1000.0], [-40.0], [40.0]])
        out.append(Case("logits +-1000, +-40 (overflow)", dict(logits=z, targets=np.array([[1.0], [0.0], [1.0], [0.0]])),
                        info=dict(M=4, overflow=True)))
        return out

    def run_student(self, module, case):
        i = case.inputs
        with np.errstate(over="ignore", invalid="ignore"):
            return (module.bce_with_logits_backward(i["logits"], i["targets"]),)

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
    # (stride, padding, kernel): stride > 1 with padding; stride = kernel (the GAN's); stride < kernel; stride 1
    GEOMETRIES = ((2, 1, 3), (3, 0, 3), (2, 0, 3), (1, 1, 2))

    def cases(self, rng):
        out = []
        for stride, padding, k in self.GEOMETRIES:
            N, C, F = _batch(rng, 1, 2), int(rng.integers(1, 3)), int(rng.integers(1, 4))
            H, W = int(rng.integers(k + 2, k + 5)), int(rng.integers(k + 2, k + 5))
            x, w, b = rng.standard_normal((N, H, W, C)), rng.standard_normal((k, k, C, F)), rng.standard_normal(F)
            y = K.conv2d_forward(x, w, b, stride, padding)
            out.append(Case(f"x {x.shape}, w {w.shape}, stride {stride}, padding {padding}",
                            dict(x=x, w=w, b=b, stride=stride, padding=padding), rng.standard_normal(y.shape),
                            dict(N=N, stride=stride, padding=padding)))
        return out

    def run_student(self, module, case):
        i = case.inputs
        return module.conv2d_backward(case.dy, i["x"], i["w"], i["stride"], i["padding"])

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

    def cases(self, rng):
        out = []
        for _ in range(3):
            N, F = _batch(rng, 3, 6), int(rng.integers(2, 5))
            x = rng.standard_normal((N, F)) * rng.uniform(0.5, 3.0, F) + rng.standard_normal(F)
            out.append(Case(f"x ({N}, {F})", dict(x=x, gamma=rng.uniform(0.5, 2.0, F), beta=rng.standard_normal(F)),
                            rng.standard_normal((N, F)), dict(N=N)))
        return out

    def saved(self, case):
        """What the forward hands the backward: (xhat, inv_std)."""
        i = case.inputs
        _, _, inv_std, xhat = K.batchnorm_forward(i["x"], i["gamma"], i["beta"], self.EPS)
        return xhat, inv_std

    def run_student(self, module, case):
        xhat, inv_std = self.saved(case)
        return module.batchnorm_backward(case.dy, xhat, case.inputs["gamma"], inv_std)

    def expected(self, case):
        xhat, inv_std = self.saved(case)
        return dict(zip(self.gradients, K.batchnorm_backward(case.dy, xhat, case.inputs["gamma"], inv_std)))

    def numeric(self, case):
        return _numeric_grads(lambda x, gamma, beta: K.batchnorm_forward(x, gamma, beta, self.EPS)[0], case,
                              [("dx", "x"), ("dgamma", "gamma"), ("dbeta", "beta")])


class Adam(Exercise):
    name, title = "adam", "one Adam step, in place"
    writes, given, gradients = ("adam_update",), (), ("param", "m", "v")

    def cases(self, rng):
        out = []
        for step in (1, 2, int(rng.integers(5, 50))):
            shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
            first = step == 1  # the moments start at zero
            m = np.zeros(shape) if first else rng.standard_normal(shape) * 1e-2
            v = np.zeros(shape) if first else rng.uniform(1e-5, 1e-3, shape)
            settings = dict(lr=float(rng.choice([1e-3, 2e-4])), beta1=float(rng.choice([0.9, 0.5])), beta2=0.999, eps=1e-8)
            out.append(Case(f"param {shape}, step {step}, lr {settings['lr']}, beta1 {settings['beta1']}",
                            dict(param=rng.standard_normal(shape), grad=rng.standard_normal(shape) * 1e-2, m=m, v=v,
                                 step=step, **settings)))
        return out

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
