"""The common mistakes the lab recognises, by name, and where an error lies when it has none.

Each mistake is written as what it makes a student's function return: a wrong array is
compared with the output each mistake would give on the same case (its candidates), and
the first that matches names the fault. tests/test_lab_mistakes.py proves every one with a
deliberately wrong implementation, at 50 seeds. A wrong array that matches none is
described by where it is wrong and how (locate): which entries, the pattern (scaled,
transposed, shifted by a pixel, ...), and its worst entry.
"""

from collections.abc import Callable
import re
from dataclasses import dataclass, replace
from itertools import combinations, permutations

import numpy as np

from minigan.gradcheck import relative_error

ADAM_DEFAULTS = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)  # what a hard-coded Adam writes
LEAKY_SLOPES = (0.2, 0.01, 0.1, 0.3, 0.02)  # the slopes a hard-coded LeakyReLU writes


TOLERANCE = 1e-7  # the largest relative error a right answer may have (float64 round-off)


def close(a, b, tol=TOLERANCE):
    """Equal to float64 round-off: the same shape, and the relative error at most tol."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and relative_error(a, b) <= tol


@dataclass
class Answer:
    """One returned array the grader found wrong, and what judging it needs."""

    exercise: object  # minigan.lab.exercises.Exercise
    grad: str
    value: np.ndarray
    expected: np.ndarray
    case: object  # minigan.lab.exercises.Case
    others: dict  # every right answer of the case, by name
    returned: dict  # everything the student's functions returned for the case, by name
    unset_memory: bool = False  # the student's code took arrays from np.empty (the child fills them with NaN)

    @property
    def inputs(self):
        return self.case.inputs

    def like(self, candidate):
        """Whether the value is ``candidate`` (a shape or a non-finite candidate is never)."""
        candidate = np.asarray(candidate, np.float64)
        with np.errstate(all="ignore"):
            return (candidate.shape == self.value.shape and bool(np.all(np.isfinite(candidate)))
                    and self.exercise.same(self.grad, self.value, candidate, self.case))

    def first(self, candidates):
        """The detail of the first (detail, array) candidate the value is, or None."""
        for detail, candidate in candidates:
            if self.like(candidate):
                return detail
        return None


@dataclass(frozen=True)
class Mistake:
    name: str
    exercises: tuple  # where it can happen ("*": anywhere)
    gradients: tuple  # which returned arrays it shows in ("*": any)
    test: Callable  # Answer -> a detail (str) when the mistake explains the value, else None
    explain: str  # what went wrong and how to fix it; {grad} the array, {detail} the test's detail


def cached(case, key, make):
    """make() once per case: candidates that several arrays of a case are compared with."""
    store = case.info.setdefault("_candidates", {})
    if key not in store:
        with np.errstate(all="ignore"):
            store[key] = make()
    return store[key]


# -- anywhere -------------------------------------------------------------------------------

def _sign_flipped(a):
    return "" if np.any(a.expected != 0) and a.like(-a.expected) else None


def _swapped(a):
    """The value is another gradient, which is wrong in its own place too."""
    def wrong(name):
        mine = a.returned.get(name)
        return not (isinstance(mine, np.ndarray) and close(mine, a.others[name]))

    return a.first((other, v) for other, v in a.others.items()
                   if other != a.grad and not close(v, a.expected) and wrong(other))


def _axes_permuted(a):
    """The right numbers with the axes in another order (a transpose), or in another shape."""
    value, expected = a.value, a.expected
    if value.size != expected.size or value.shape == expected.shape and value.ndim < 2:
        return None
    for order in permutations(range(value.ndim)):
        if order != tuple(range(value.ndim)) and value.transpose(order).shape == expected.shape \
                and close(value.transpose(order), expected):
            return "transposed" if value.ndim == 2 else f"axes in the order {order} of the right ones"
    if value.shape != expected.shape and close(value.reshape(expected.shape), expected):
        return f"shaped {value.shape}"
    return None


def _extra_axes(a):
    """The right numbers with axes of size 1 added or dropped (keepdims=True, a reshape)."""
    v, e = a.value, a.expected
    squeezed = tuple(n for n in v.shape if n != 1) == tuple(n for n in e.shape if n != 1)
    return f"shaped {v.shape}" if v.shape != e.shape and squeezed and close(v.reshape(e.shape), e) else None


def _reshaped(a):
    """The right numbers with the axes in another order, then reshaped to the shape asked for:
    reshape keeps the numbers in memory order, it does not move axes."""
    e = a.expected
    if e.ndim < 2 or a.value.size != e.size or not close(np.sort(a.value, axis=None), np.sort(e, axis=None)):
        return None  # not the same numbers
    return a.first((f"in the axis order {order}" if e.ndim > 2 else "transposed", e.transpose(order).reshape(a.value.shape))
                   for order in permutations(range(e.ndim)) if order != tuple(range(e.ndim)))


def _weights_regrouped(a):
    """dx computed from w's entries regrouped by a reshape: w reshaped to its axes in another order
    and moved back (im2col's w.reshape(F, -1).T where w.reshape(-1, F) belongs, dense's
    w.reshape(M, D) where w.T belongs)."""
    w = a.inputs["w"]

    def regrouped():
        for order in permutations(range(w.ndim)):
            shape = tuple(w.shape[j] for j in order)
            v = w.reshape(shape).transpose(np.argsort(order))
            if not np.array_equal(v, w):
                yield order, f"w.reshape{shape}, its axes then moved back", v

    return a.first((detail, cached(a.case, ("w regrouped", order),
                                   lambda v=v: a.exercise.expected(replace(a.case, inputs={**a.inputs, "w": v}))[a.grad]))
                   for order, detail, v in regrouped())


def _an_input(a):
    arrays = {**a.inputs, "dy": a.case.dy}
    return a.first((name, v) for name, v in arrays.items() if isinstance(v, np.ndarray) and not close(v, a.expected))


# What the child fills np.empty's float memory with (minigan/lab/grader.py): a NaN whose payload
# (the mantissa bits below the quiet bit) is not the 0 of the NaN that inf / inf or 0 * inf
# makes. Arithmetic passes a NaN operand's payload on, and float32 keeps its top bits.
UNSET = np.array([0x7FFABCDE00000000], np.uint64).view(np.float64)[0]
_PAYLOAD = np.uint64(0x0007FFFFFFFFFFFF)


def read_unset(value):
    """Where ``value`` (float64) holds the child's NaN for memory never written, or NaN made from it."""
    return np.isnan(value) & ((value.view(np.uint64) & _PAYLOAD) != 0)


def _read_before_written(a):
    """The child's NaN for unset memory, where the right answer is finite: memory from np.empty
    read before it was written (a NaN that overflow made carries no payload, and is not this)."""
    if not a.unset_memory or a.value.shape != a.expected.shape:
        return None
    unset = read_unset(a.value) & np.isfinite(a.expected)
    if not unset.any():
        return None
    return "every entry" if unset.all() else f"{int(unset.sum())} of {unset.size} entries"


# -- dense and conv: sums over the batch ----------------------------------------------------

def _conv_case(a):
    return a.exercise.name == "conv2d"


def _one_sample(a):
    """The term of one sample (the first or the last) where the sum over the batch belongs, or the
    per-sample terms kept (an extra batch axis)."""
    N, dy, x = a.case.info.get("N"), a.case.dy, a.inputs.get("x")
    if N is None or N < 2:
        return None
    if a.value.shape == (N, *a.expected.shape):
        return "per sample" if close(a.value.sum(axis=0), a.expected) else None
    if a.grad in ("db", "dbeta"):
        rows = dy.reshape(N, -1, dy.shape[-1]).sum(axis=1)
        if a.value.shape == rows.shape and close(a.value, rows):
            return "per sample"
        return a.first([("first sample", rows[0])])
    if a.grad == "dgamma":
        return a.first([("first sample", (dy * a.inputs["xhat"])[0])])
    if a.grad == "dw" and x.ndim == 2:  # dense: dw = sum_n x[n]^T dy[n]
        return a.first([("first sample", np.outer(x[0], dy[0]))])
    if a.grad == "dw" and x.ndim == 4:
        return a.first([("first sample", cached(a.case, "conv sample 0", lambda: conv_variant(a.case, sample=0))[1])])
    return None


def _product_of_sums(a):
    """dw as the batch's summed inputs times its summed dy: the product of two sums where the sum
    of the products x * dy belongs."""
    x, dy = a.inputs["x"], a.case.dy
    if x.ndim == 2:
        return a.first([("", np.outer(x.sum(axis=0), dy.sum(axis=0)))])
    # each tap's inputs summed over the batch and the windows: the dw of a dy of ones, one kernel
    ones = replace(a.case, inputs={**a.inputs, "w": a.inputs["w"][..., :1]}, dy=np.ones((*dy.shape[:3], 1)), info={})
    return a.first([("", cached(a.case, "conv product of sums", lambda: conv_variant(ones)[1] * dy.sum(axis=(0, 1, 2))))])


def _one_short(a):
    """The loop over the batch stopped one short (range(N - 1)) or started at 1: the answer of
    the batch without its last (or first) sample; dx is zero for that sample."""
    N, batch_inputs = a.case.info.get("N"), ("x", "xhat")
    if not N or N < 2 or (a.grad == "dx" and a.exercise.name == "batchnorm"):
        return None

    def without(left_out):
        keep = [n for n in range(N) if n != left_out]
        inputs = {k: v[keep] if k in batch_inputs else v for k, v in a.inputs.items()}
        return a.exercise.expected(replace(a.case, inputs=inputs, dy=a.case.dy[keep], info={}))

    options = []
    for left_out, detail in ((N - 1, "the last sample left out (range(N - 1))"), (0, "the first sample left out")):
        value = cached(a.case, ("one short", left_out), lambda n=left_out: without(n))[a.grad]
        if a.grad == "dx":
            value = np.insert(value, left_out, 0.0, axis=0)
        options.append((detail, value))
    return a.first(options)


def _mean_for_sum(a):
    """Divided by the number of terms it sums: the batch, or for a conv the batch and the pixels."""
    N, dy = a.case.info.get("N"), a.case.dy
    counts = {"N": N}
    if dy is not None and dy.ndim == 4:
        counts["N * Ho * Wo"] = int(np.prod(dy.shape[:3]))
        counts["Ho * Wo"] = int(np.prod(dy.shape[1:3]))
    return a.first((f"divided by {k} = {c}", a.expected / c) for k, c in counts.items() if c and c > 1)


def _divided_by_batch(a):
    N = a.case.info.get("N")
    return a.first([("", a.expected / N)]) if N and N > 1 else None


def _db_per_tap(a):
    """db added inside the kernel's loops: dy counted once per tap (per valid tap, or per every tap)."""
    i, dy = a.inputs, a.case.dy
    H, W = i["x"].shape[1:3]
    KH, KW = i["w"].shape[:2]
    s, p = i["stride"], i["padding"]
    oh, ow = np.arange(dy.shape[1]), np.arange(dy.shape[2])
    rows = ((oh[:, None] * s - p + np.arange(KH)[None, :] >= 0) & (oh[:, None] * s - p + np.arange(KH) < H)).sum(1)
    cols = ((ow[:, None] * s - p + np.arange(KW)[None, :] >= 0) & (ow[:, None] * s - p + np.arange(KW) < W)).sum(1)
    valid = np.einsum("nhwf,h,w->f", dy, rows, cols)
    return a.first([("each valid tap", valid), ("each tap", KH * KW * a.expected)])


def _wrong_axis(a):
    """A bias's (or dgamma's) sum over other axes than all but the last."""
    terms = a.case.dy * a.inputs["xhat"] if a.grad == "dgamma" else a.case.dy
    right, every = tuple(range(terms.ndim - 1)), tuple(range(terms.ndim))
    subsets = [c for r in range(1, terms.ndim) for c in combinations(every, r) if c != right]
    every_entry = ("summed over every axis, that total in every entry", np.full(a.expected.shape, terms.sum()))
    return a.first([*((f"summed over axis {c[0]}" if len(c) == 1 else f"summed over axes {c}", terms.sum(axis=c))
                      for c in subsets), every_entry])


# -- conv ---------------------------------------------------------------------------------

def conv_variant(case, flip=False, swap=False, step=None, offset=None, canvas=False, sample=None, wrap=False,
                 out=None, tap_step=1, strict=False):
    """(dx, dw) of the convolution as a student might write it, with one slip: w flipped in dx,
    kh and kw swapped in the taps, windows ``step`` apart (the stride when None), starting at
    ``offset`` (-padding when None), dx on the padded canvas, one sample's terms only, negative
    indices wrapping round (a bounds check on the upper end only), only the first out =
    (rows, columns) of dy's windows, taps tap_step apart (the stride applied to kh too), or a
    bounds check that leaves out row and column 0 (0 < ih, strict)."""
    i, dy = case.inputs, case.dy
    x, w, s, p = i["x"], i["w"], i["stride"], i["padding"]
    if sample is not None:
        x, dy = x[sample:][:1], dy[sample:][:1]
    step, offset = s if step is None else step, -p if offset is None else offset
    N, H, W, C = x.shape
    KH, KW = w.shape[:2]
    Ho, Wo = out or dy.shape[1:3]
    taps = w[::-1, ::-1] if flip else w
    dx = np.zeros((N, H + 2 * p, W + 2 * p, C) if canvas else x.shape)
    dw = np.zeros(w.shape)
    oh, ow = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
    low = (-H, -W) if wrap else (1, 1) if strict else (0, 0)
    for kh in range(KH):
        for kw in range(KW):
            th, tw = (kw, kh) if swap else (kh, kw)
            ih, iw = oh * step + offset + th * tap_step, ow * step + offset + tw * tap_step
            ok = (ih >= low[0]) & (ih < H) & (iw >= low[1]) & (iw < W)
            if canvas:  # where the padded input's rows are: every tap lands
                ok = (ih + p >= 0) & (ih + p < H + 2 * p) & (iw + p >= 0) & (iw + p < W + 2 * p)
            g = dy[:, oh[ok], ow[ok], :]  # (N, windows, F)
            rows, cols = (ih[ok] + p, iw[ok] + p) if canvas else (ih[ok] % H, iw[ok] % W)
            if not canvas:
                dw[kh, kw] = np.einsum("nvc,nvf->cf", x[:, rows, cols, :], g)
            np.add.at(dx, (slice(None), rows, cols), g @ taps[kh, kw].T)
    return dx, dw


def _conv_candidates(a):
    case = a.case
    p = case.inputs["padding"]

    def make():
        out = {"flipped": conv_variant(case, flip=True), "swapped": conv_variant(case, swap=True),
               "unstrided": conv_variant(case, step=1), "no offset": conv_variant(case, offset=0),
               "canvas": conv_variant(case, canvas=True)}
        if p:
            out["offset +p"], out["offset -2p"] = conv_variant(case, offset=p), conv_variant(case, offset=-2 * p)
            if case.inputs["stride"] > 1:
                out["offset -ps"] = conv_variant(case, offset=-p * case.inputs["stride"])
            out["wrap"] = conv_variant(case, wrap=True)
        if case.inputs["stride"] > 1:
            out["tap stride"] = conv_variant(case, tap_step=case.inputs["stride"])
        out["strict"] = conv_variant(case, strict=True)
        for size in output_sizes(case):
            out[("size", size)] = conv_variant(case, out=size)
        return out

    return cached(case, "conv", make)


def output_sizes(case):
    """The (Ho, Wo) a student computes wrongly: without the padding, without the + 1, with one
    side's padding; those smaller than dy's (larger ones index past dy and raise)."""
    i = case.inputs
    H, W = i["x"].shape[1:3]
    KH, KW = i["w"].shape[:2]
    s, p = i["stride"], i["padding"]
    Ho, Wo = case.dy.shape[1:3]
    sizes = {((H - KH) // s + 1, (W - KW) // s + 1), ((H + 2 * p - KH) // s, (W + 2 * p - KW) // s),
             ((H + p - KH) // s + 1, (W + p - KW) // s + 1)}
    return sorted(size for size in sizes if size != (Ho, Wo) and 0 < size[0] <= Ho and 0 < size[1] <= Wo)


def _conv_wrapped(a):
    c = _conv_candidates(a)
    return a.first([("", dict(zip(("dx", "dw"), c["wrap"]))[a.grad])]) if "wrap" in c else None


def _conv_output_size(a):
    c, dy = _conv_candidates(a), a.case.dy
    options = []
    for key, grads in c.items():
        if isinstance(key, tuple):
            rows, cols = key[1]
            options.append((f"{rows} x {cols}", {"dx": grads[0], "dw": grads[1],
                                                  "db": dy[:, :rows, :cols].sum(axis=(0, 1, 2))}[a.grad]))
    return a.first(options)


def _conv_flipped(a):
    grads = _conv_candidates(a)["flipped"]
    if a.grad == "dx":
        return a.first([("", grads[0])])
    return a.first([("", a.expected[::-1, ::-1])]) if a.grad == "dw" else None


def _conv_swapped(a):
    dx, dw = _conv_candidates(a)["swapped"]
    return a.first([("", {"dx": dx, "dw": dw}[a.grad])])


def _conv_unstrided(a):
    s = a.inputs["stride"]
    return a.first([("", dict(zip(("dx", "dw"), _conv_candidates(a)["unstrided"]))[a.grad])]) if s > 1 else None


def _conv_strict_bound(a):
    return a.first([("", dict(zip(("dx", "dw"), _conv_candidates(a)["strict"]))[a.grad])])


def _conv_tap_stride(a):
    c = _conv_candidates(a)
    return a.first([("", dict(zip(("dx", "dw"), c["tap stride"]))[a.grad])]) if "tap stride" in c else None


def _conv_offset(a):
    c = _conv_candidates(a)
    k = ("dx", "dw").index(a.grad)
    options = [(f"as if window (oh, ow) began at input row {start}", c[key][k])
               for start, key in (("oh * stride", "no offset"), ("oh * stride + padding", "offset +p"),
                                  ("oh * stride - 2 * padding", "offset -2p"),
                                  ("(oh - padding) * stride", "offset -ps")) if key in c]
    return a.first(options) if a.inputs["padding"] else None


def _padding_not_cropped(a):
    p = a.inputs["padding"]
    if not p or a.value.ndim != 4:
        return None
    N, H, W, C = a.expected.shape
    padded = _conv_candidates(a)["canvas"][0]
    if a.value.shape == padded.shape:
        return "" if close(a.value[:, p:p + H, p:p + W], a.expected) else None
    return None


def _cropped_to_nothing(a):
    """dx_padded[:, p:-p] at padding 0 is dx_padded[:, 0:0]: empty."""
    v, e = a.value, a.expected
    return "" if a.inputs["padding"] == 0 and v.shape == (e.shape[0], 0, 0, e.shape[3]) else None


def _overwritten(a):
    """= where += belongs: each entry keeps the last term the loops wrote into it (the last
    sample's, dense's dx the last output's, or for a conv the last window's)."""
    dy, x = a.case.dy, a.inputs.get("x")
    if a.grad in ("db", "dbeta", "dgamma"):
        rows = dy * a.inputs["xhat"] if a.grad == "dgamma" else dy
        per_sample = rows.reshape(rows.shape[0], -1, rows.shape[-1])
        return a.first([("", per_sample[-1].sum(axis=0)), ("", per_sample[-1, -1])])
    if a.grad == "dw" and dy.ndim == 2:
        return a.first([("", np.outer(x[-1], dy[-1]))])
    if a.grad == "dx" and a.exercise.name == "dense":  # dx[n, d] = dy[n, m] w[d, m] in the loop over m
        return a.first([("", dy[:, -1:] @ a.inputs["w"][:, -1:].T)])
    if a.grad == "dx" and dy.ndim == 4:
        return a.first(cached(a.case, "conv dx =", lambda: _conv_dx_last_writes(a.case)))
    if a.grad == "dw" and dy.ndim == 4:
        i = a.inputs
        w, s, p = i["w"], i["stride"], i["padding"]
        H, W = x.shape[1:3]
        last = np.zeros(w.shape)
        for kh in range(w.shape[0]):
            for kw in range(w.shape[1]):
                windows = [(oh, ow) for oh in range(dy.shape[1]) for ow in range(dy.shape[2])
                           if 0 <= oh * s - p + kh < H and 0 <= ow * s - p + kw < W]
                if windows:
                    oh, ow = windows[-1]
                    last[kh, kw] = np.outer(x[-1, oh * s - p + kh, ow * s - p + kw], dy[-1, oh, ow])
        return a.first([("", last), ("", cached(a.case, "conv sample -1", lambda: conv_variant(a.case, sample=-1))[1])])
    return None


def _conv_dx_last_writes(case):
    """dx as loops that assign where they should add leave it: each pixel keeps the last window's
    term, summed over f (a product with w[kh, kw]) or of the last f alone (scalar loops over f)."""
    i, dy = case.inputs, case.dy
    x, w, s, p = i["x"], i["w"], i["stride"], i["padding"]
    H, W = x.shape[1:3]
    summed, last_f = np.zeros(x.shape), np.zeros(x.shape)
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            for kh in range(w.shape[0]):
                for kw in range(w.shape[1]):
                    ih, iw = oh * s - p + kh, ow * s - p + kw
                    if 0 <= ih < H and 0 <= iw < W:
                        summed[:, ih, iw] = dy[:, oh, ow] @ w[kh, kw].T
                        last_f[:, ih, iw] = dy[:, oh, ow, -1:] * w[kh, kw, :, -1]
    return [("", summed), ("", last_f)]


# -- activations --------------------------------------------------------------------------

def _slopes(a):
    """dy times each slope a student might write, by what it is."""
    dy, x = a.case.dy, a.inputs["x"]
    alpha = a.inputs.get("alpha")
    if a.exercise.name == "relu":
        return {"at 0": np.where(x >= 0, dy, 0.0), "half at 0": np.where(x > 0, dy, np.where(x == 0, dy / 2, 0.0)),
                "wrong side": np.where(x < 0, dy, 0.0), "wrong side with 0": np.where(x <= 0, dy, 0.0),
                "no slope": dy, "chain": (x > 0) * 1.0, "dy's sign": np.where(dy > 0, dy, 0.0),
                "times x": dy * x, "times relu(x)": dy * np.maximum(x, 0.0)}
    return {"wrong side": np.where(x > 0, alpha * dy, dy), "alpha zero": np.where(x > 0, dy, 0.0),
            "alpha without dy": np.where(x > 0, dy, alpha),
            "no slope": dy, "chain": np.where(x > 0, 1.0, alpha), "dy's sign": np.where(dy > 0, dy, alpha * dy),
            "times x": dy * np.where(x > 0, x, alpha * x), "forward on the left": np.where(x > 0, dy, alpha * x),
            "forward as the left slope": np.where(x > 0, dy, alpha * x * dy),
            "one minus alpha": np.where(x > 0, dy, (1 - alpha) * dy),
            **{f"slope {c}": np.where(x > 0, dy, c * dy) for c in LEAKY_SLOPES if c != alpha}}


def _constant_slopes(a):
    """'c where x < 0' (or x > 0): dx is dy times a constant on each side, not the right one."""
    dy, x, v = a.case.dy, a.inputs["x"], a.value
    if a.like(-a.expected):  # both slopes negated: the sign, named so
        return None
    right = {"x > 0": 1.0, "x < 0": a.inputs.get("alpha", 0.0)}
    slopes = {}
    for side, mask in (("x > 0", x > 0), ("x < 0", x < 0)):
        ratio = v[mask] / dy[mask]
        if ratio.size and (not np.all(np.isfinite(ratio)) or np.ptp(ratio) > 1e-9 * max(1.0, abs(ratio[0]))):
            return None
        slopes[side] = float(ratio[0]) if ratio.size else right[side]
    wrong = [f"{c:.4g} where {side}" for side, c in slopes.items() if abs(c - right[side]) > 1e-9]
    r, left = slopes["x > 0"] * dy, slopes["x < 0"] * dy
    found = wrong and a.first([("", np.where(x > 0, r, left)), ("", np.where(x >= 0, r, left))]) is not None
    return " and ".join(wrong) if found else None


def _slope(*kinds):
    def test(a):
        found = a.first((k, v) for k, v in _slopes(a).items() if k in kinds or (k.startswith("slope ") and
                                                                                   "slope" in kinds))
        return None if found is None else found.removeprefix("slope ")
    return test


def _derivatives(a):
    """tanh' and sigmoid' as students write them, in y = the forward's output."""
    y = a.inputs["y"]
    if a.exercise.name == "tanh":
        return {"in x": 1 - np.tanh(y) ** 2, "1 - y": 1 - y, "(1 - y)^2": (1 - y) ** 2, "1 + y^2": 1 + y ** 2,
                "y^2 - 1": y ** 2 - 1, "1 - y^2 / 2": 1 - y ** 2 / 2, "2 y": 2 * y, "-2 y (1 - y^2)": -2 * y * (1 - y * y),
                "y (1 - y), the sigmoid's": y * (1 - y), "y^2": y * y}
    s = 1 / (1 + np.exp(-y))
    return {"in x": s * (1 - s), "y": y, "1 - y": 1 - y, "y^2": y ** 2, "y (1 + y)": y * (1 + y), "1 - y^2": 1 - y ** 2,
            "(1 - y)^2": (1 - y) ** 2, "y^2 - y": y * y - y}


def _derivative_in_x(a):
    return a.first([("", a.case.dy * _derivatives(a)["in x"])])


def _derivative_wrong(a):
    return a.first((k, a.case.dy * v) for k, v in _derivatives(a).items() if k != "in x")


def _dy_missing(a):
    y = a.inputs.get("y")
    if a.exercise.name == "tanh":
        return a.first([("", 1 - y * y)])
    if a.exercise.name == "sigmoid":
        return a.first([("", y * (1 - y))])
    return _slope("chain", "alpha without dy")(a)


def _sigmoid_variants(a):
    """sigmoid as a student's 'stable' or tanh-based form may leave it: of |x| (the branch for
    x < 0 forgotten), of 2x or x / 2 (tanh(x / 2)'s half lost or doubled) -> {name: (detail, y)}."""
    x = a.inputs["logits" if a.grad == "dlogits" else "x"]

    def sig(u):
        return 1 / (1 + np.exp(-np.clip(u, -500, 500)))

    return {"|x|": ("sigmoid(|x|): 1 / (1 + exp(-|x|)) for every x", sig(np.abs(x))),
            "scaled": [("sigmoid(2 x), as (1 + tanh(x)) / 2", sig(2 * x)), ("sigmoid(x / 2)", sig(x / 2))]}


def _as_answer(a, y):
    """What the array would be with y in place of sigmoid(x): y itself, or BCE's (y - t) / M."""
    return (y - a.inputs["targets"]) / a.case.info["M"] if a.grad == "dlogits" else y


def _sigmoid_of_abs(a):
    detail, y = _sigmoid_variants(a)["|x|"]
    return a.first([(detail, _as_answer(a, y))])


def _sigmoid_argument_scaled(a):
    return a.first((detail, _as_answer(a, y)) for detail, y in _sigmoid_variants(a)["scaled"])


def _sigmoid_mirrored(a):
    return a.first([("", 1 - a.expected)])


def _clipped(a):
    """sigmoid(clip(x, -c, c)) for some c below the largest |x|: the overflow avoided too early."""
    x = a.inputs["logits" if a.grad == "dlogits" else "x"]
    j = np.unravel_index(int(np.argmax(x)), x.shape)
    if x[j] < 40:
        return None
    t, M = (a.inputs["targets"], a.case.info["M"]) if a.grad == "dlogits" else (0.0, 1)
    y = a.value * M + t
    c = float(np.log(y[j] / (1 - y[j]))) if 0 < y[j] < 1 else np.inf
    if not 0 < c < x[j]:
        return None
    sig = 1 / (1 + np.exp(-np.clip(x, -c, c)))
    return a.first([(f"{c:.3g}", (sig - t) / M)])


def _overflowed(a):
    return "" if a.case.info.get("overflow") and not np.all(np.isfinite(a.value)) else None


# -- binary cross-entropy ---------------------------------------------------------------------

def _bce_parts(a):
    z, t = a.inputs["logits"], a.inputs["targets"]
    return 1 / (1 + np.exp(-np.clip(z, -500, 500))), t, a.case.info["M"], a.case.info["rows"]


def _bce_missing_mean(a):
    M = a.case.info["M"]
    return a.first([("", a.expected * M)]) if M > 1 else None


def _bce_rows(a):
    M, rows = a.case.info["M"], a.case.info["rows"]
    return a.first([("", a.expected * M / rows)]) if rows != M else None


def _bce_sigmoid_derivative(a):
    s, t, M, _ = _bce_parts(a)
    return a.first([("", (s - t) * s * (1 - s) / M)])


def _bce_logits_for_sigmoid(a):
    s, t, M, _ = _bce_parts(a)
    return a.first([("", (a.inputs["logits"] - t) / M)])


def _bce_targets_flipped(a):
    s, t, M, _ = _bce_parts(a)
    return a.first([("", (s - (1 - t)) / M)])


def _bce_probability(a):
    s, t, M, _ = _bce_parts(a)
    return a.first([("", (s - t) / (s * (1 - s)) / M), ("", (-t / s + (1 - t) / (1 - s)) / M)])


def _bce_stable_form(a):
    """The stable form max(z, 0) - z t + log(1 + exp(-|z|)) differentiated term by term, one
    term wrong; right is [z > 0] - t - sign(z) u, u = exp(-|z|) / (1 + exp(-|z|))."""
    z, t, M = a.inputs["logits"], a.inputs["targets"], a.case.info["M"]
    e, positive, sign = np.exp(-np.abs(z)), (z > 0) * 1.0, np.sign(z)
    u = e / (1 + e)
    return a.first([("d|z|/dz taken as 1, not sign(z)", (positive - t - u) / M),
                    ("the derivative of max(z, 0) left out", (-t - sign * u) / M),
                    ("d log(1 + exp(-|z|)) taken as -sign(z) exp(-|z|), without the 1 / (1 + exp(-|z|))",
                     (positive - t - sign * e) / M),
                    ("the log term's derivative with the wrong sign", (positive - t + sign * u) / M)])


# -- BatchNorm ----------------------------------------------------------------------------

BN_SCALES = (("", lambda g, i: g * i), ("gamma missing", lambda g, i: i), ("inv_std missing", lambda g, i: g),
             ("inv_std squared", lambda g, i: g * i * i), ("divided by inv_std", lambda g, i: g / i))


def batchnorm_fit(case, value):
    """(the scale's name, (a, b, c)) with value = scale * (a dy + b mean(dy) + c xhat mean(dy xhat)),
    means over the batch, when some scale and coefficients fit value exactly; right is
    gamma * inv_std and (1, -1, -1). None when none fits."""
    dy, xhat = case.dy, case.inputs["xhat"]
    if value.shape != dy.shape:
        return None
    terms = (dy, np.broadcast_to(dy.mean(axis=0), dy.shape), xhat * (dy * xhat).mean(axis=0))
    for name, scale in BN_SCALES:
        s = scale(case.inputs["gamma"], case.inputs["inv_std"])
        basis = np.stack([(s * t).ravel() for t in terms], axis=1)
        coef = np.linalg.lstsq(basis, value.ravel(), rcond=None)[0]
        if close(basis @ coef, value.ravel()):
            return name, tuple(float(c) for c in coef)
    return None


def _bn_coefficients(a):
    return cached(a.case, ("bn", a.value.tobytes()), lambda: batchnorm_fit(a.case, a.value))


def _bn_kind(a, *names):
    fit = _bn_coefficients(a) if a.grad == "dx" else None
    if fit is None:
        return None
    scale, (x, b, c) = fit
    N = a.case.info["N"]

    def near(u, v):
        return abs(u - v) <= 1e-6 * max(1.0, abs(v))

    right = near(x, 1) and near(b, -1) and near(c, -1)
    kinds = []
    if scale and right:
        kinds.append((scale, scale))
    if not scale:
        if near(x, 1) and near(b, 0) and near(c, 0):
            kinds.append(("both terms", ""))
        elif near(x, 1) and near(b, 0) and near(c, -1):
            kinds.append(("mean term", ""))
        elif near(x, 1) and near(b, -1) and near(c, 0):
            kinds.append(("variance term", ""))
        coefs = (x, b, c)
        if any(near(abs(u), N / (N - 1)) or near(abs(u), (N - 1) / N) for u in coefs):
            kinds.append(("N - 1", ""))
        if any(near(u, -N) for u in (b, c)):
            kinds.append(("1/N missing", ""))
        if any(near(u, -1 / N) for u in (b, c)):
            kinds.append(("1/N twice", ""))
        if any(near(u, 1) for u in (b, c)):
            kinds.append(("sign", "+ " + " and + ".join(t for u, t in ((b, "mean(dy)"), (c, "xhat mean(dy xhat)"))
                                                        if near(u, 1))))
        kinds.append(("coefficients", f"{x:.4g} dy {b:+.4g} mean(dy) {c:+.4g} xhat mean(dy xhat)"))
    return next((detail for kind, detail in kinds if kind in names), None)


def _bn(*names):
    return lambda a: _bn_kind(a, *names)


def _bn_wrong_axis(a):
    """dx's means (one or both) taken over each row (axis 1) or the whole array, not over the batch;
    with gamma outside them or inside (dxhat = gamma dy, whose row sums differ), as means or as
    sums divided by the batch size N."""
    i, dy = a.inputs, a.case.dy
    xhat, N = i["xhat"], dy.shape[0]
    reductions = {"mean": lambda t, axis: t.mean(axis=axis, keepdims=True),
                  "sum / N": lambda t, axis: t.sum(axis=axis, keepdims=True) / N}

    def dx(mean_axis, var_axis, reduce, gamma_inside):
        g = i["gamma"] * dy if gamma_inside else dy
        r = reductions[reduce]
        return (1.0 if gamma_inside else i["gamma"]) * i["inv_std"] * (g - r(g, mean_axis) - xhat * r(g * xhat, var_axis))

    axes = {0: "the batch", 1: "each row's features (axis 1)", None: "the whole array (no axis)"}
    return a.first(((f"of mean(dy) over {axes[m]} and of mean(dy xhat) over {axes[v]}" if m != v else f"over {axes[m]}")
                    + ("" if reduce == "mean" else ", as sums divided by N"), dx(m, v, reduce, inside))
                   for reduce in reductions for inside in (False, True) for m in axes for v in axes if (m, v) != (0, 0))


BN_TERMS = ("dy", "mean(dy)", "xhat mean(dy xhat)")


def _bn_term_per_feature(a):
    """One of dx's terms multiplied by a per-feature factor (a power of inv_std or of gamma, as
    a staged derivation's inv_std^2 where inv_std^3 belongs leaves): each feature's column
    fitted as gamma inv_std (a dy + b + c xhat)."""
    i, dy = a.inputs, a.case.dy
    xhat, gamma, inv_std = i["xhat"], i["gamma"], i["inv_std"]
    N, F = dy.shape
    if a.value.shape != dy.shape or N < 3:
        return None
    y = a.value / (gamma * inv_std)
    bases = [np.stack([dy[:, f], np.ones(N), xhat[:, f]], axis=1) for f in range(F)]
    coef = np.stack([np.linalg.lstsq(basis, y[:, f], rcond=None)[0] for f, basis in enumerate(bases)], axis=1)
    if not close(np.stack([basis @ coef[:, f] for f, basis in enumerate(bases)], axis=1), y):
        return None
    right = np.stack([np.ones(F), -dy.mean(axis=0), -(dy * xhat).mean(axis=0)])
    factors = [(f"{name}^{k}", q ** k) for name, q in (("inv_std", inv_std), ("gamma", gamma))
               for k in (-4, -3, -2, -1, 1, 2, 3, 4)]
    parts = []
    for term, c, r in zip(BN_TERMS, coef, right):
        if np.allclose(c, r, rtol=1e-6, atol=0):
            continue
        label = next((name for name, q in factors if np.allclose(c, r * q, rtol=1e-6, atol=0)), None)
        if label is None:
            return None
        parts.append(f"the term {term} multiplied by {label}")
    return " and ".join(parts) or None


def _bn_xhat_misplaced(a):
    """dx fitted as gamma inv_std (a dy + b mean(dy) + c xhat mean(dy xhat) + d mean(dy xhat)
    + e xhat mean(dy)), with d or e not 0: xhat left out of the variance term, or put into the
    mean term."""
    i, dy = a.inputs, a.case.dy
    xhat = i["xhat"]
    if a.value.shape != dy.shape:
        return None
    terms = {"dy": dy, "mean(dy)": dy.mean(axis=0), "xhat mean(dy xhat)": xhat * (dy * xhat).mean(axis=0),
             "mean(dy xhat)": (dy * xhat).mean(axis=0), "xhat mean(dy)": xhat * dy.mean(axis=0)}
    s = i["gamma"] * i["inv_std"]
    basis = np.stack([(s * np.broadcast_to(u, dy.shape)).ravel() for u in terms.values()], axis=1)
    coef = np.linalg.lstsq(basis, a.value.ravel(), rcond=None)[0]
    if not close(basis @ coef, a.value.ravel()) or np.allclose(coef[3:], 0, atol=1e-6):
        return None
    return " ".join(f"{c:+.4g} {name}" for c, name in zip(coef, terms) if abs(c) > 1e-6).removeprefix("+")


def _bn_scaled_per_feature(a):
    i = a.inputs
    return a.first((name, a.expected * v) for name, v in (("gamma", i["gamma"]), ("inv_std", i["inv_std"]),
                                                         ("1 / gamma", 1 / i["gamma"])))


def _bn_dgamma_without_xhat(a):
    return a.first([("", a.case.dy.sum(axis=0))]) if a.grad == "dgamma" else None


# -- Adam ---------------------------------------------------------------------------------

def adam_variant(i, t1=0, t2=0, sign=-1.0, swap=False, eps_inside=False, correct=(True, True), store_hat=False,
                 no_one_minus=(False, False), unsquared=None, eps_outside=False, hat_betas=(1, 2),
                 eps_uncorrected=False, correction_form=None, folded_without_root=False, stale=None, root=True,
                 **settings):
    """(param, m, v) after one Adam step with one slip: powers t + t1 and t + t2 in the bias
    corrections, the update's sign, the betas swapped (True, or "moments only"), eps inside the square root, a bias
    correction left out, the corrected moments stored, (1 - beta) left out, g or |g| for g^2
    ("plain", "abs"), eps added to the step, the betas of the corrections (1 or 2 each), eps
    left out of the bias correction (the paper's efficient form without its eps_hat), a bias
    correction's power misplaced or a product, the efficient form's step size without its square
    root, a moment used before its update, v_hat without its square root (root=False), or settings
    (lr, beta1, ...) in place of the case's."""
    s = {k: i[k] for k in ADAM_DEFAULTS} | settings
    b1, b2 = (s["beta2"], s["beta1"]) if swap else (s["beta1"], s["beta2"])
    g, t = i["grad"], i["step"]
    m = b1 * i["m"] + (1.0 if no_one_minus[0] else 1 - b1) * g
    v = b2 * i["v"] + (1.0 if no_one_minus[1] else 1 - b2) * {None: g * g, "abs": np.abs(g), "plain": g}[unsquared]
    c1, c2 = ({1: b1, 2: b2}[k] for k in hat_betas)
    if swap == "moments only":  # the corrections keep their own betas
        c1, c2 = s["beta1"], s["beta2"]
    m_hat = m / (1 - c1 ** (t + t1)) if correct[0] else m
    v_hat = v / (1 - c2 ** (t + t2)) if correct[1] else v
    scale = np.sqrt(v_hat) if root else v_hat
    step = m_hat / (np.sqrt(v_hat + s["eps"]) if eps_inside else scale + (0 if eps_outside else s["eps"]))
    step = step + s["eps"] if eps_outside else step
    if eps_uncorrected:
        step = np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + s["eps"])
    if correction_form is not None:  # (1 - beta) without ^t, or (1 - beta)^t, in m_hat, v_hat or both
        which, form = correction_form
        f = {"no power": lambda b: 1 - b, "power outside": lambda b: (1 - b) ** t, "times t": lambda b: 1 - b * t}[form]
        m_hat = m / (f(c1) if which in ("m", "both") else 1 - c1 ** t)
        v_hat = v / (f(c2) if which in ("v", "both") else 1 - c2 ** t)
        step = m_hat / (np.sqrt(v_hat) + s["eps"])
    if folded_without_root:  # the step size lr sqrt(1 - beta2^t) / (1 - beta1^t) without its square root
        step = (1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + s["eps"])
    if stale is not None:  # m_hat or v_hat from the moment before this step's update
        m_hat = (i["m"] if stale in ("m", "both") else m) / (1 - c1 ** t)
        v_hat = (i["v"] if stale in ("v", "both") else v) / (1 - c2 ** t)
        step = m_hat / (np.sqrt(v_hat) + s["eps"])
    param = i["param"] + sign * s["lr"] * step
    if eps_outside == "after lr":
        param = i["param"] + sign * (s["lr"] * m_hat / np.sqrt(v_hat) + s["eps"])
    return param, (m_hat if store_hat else m), (v_hat if store_hat else v)


def _adam(*variants):
    """The first of the variants ((detail, adam_variant's keywords)) whose array this is."""
    def test(a):
        k = ("param", "m", "v").index(a.grad)
        return a.first((detail, cached(a.case, ("adam", *sorted(kw.items())),
                                       lambda kw=kw: adam_variant(a.inputs, **kw))[k]) for detail, kw in variants)
    return test


def _adam_hard_coded(a):
    i = a.inputs
    varied = [k for k, v in ADAM_DEFAULTS.items() if i[k] != v]
    subsets = [c for r in range(1, len(varied) + 1) for c in combinations(varied, r)]
    return _adam(*((" and ".join(f"{k} = {ADAM_DEFAULTS[k]:g}" for k in c), {k: ADAM_DEFAULTS[k] for k in c})
                   for c in subsets))(a)


def _not_in_place(a):
    before = a.inputs[a.grad]
    return "" if np.array_equal(a.value, before) and not np.array_equal(a.expected, before) else None


POWERS = tuple((f"t{d1:+d}" + ("" if d1 == d2 else f" in m_hat, t{d2:+d} in v_hat"), dict(t1=d1, t2=d2))
               for d1 in (-1, 0, 1) for d2 in (-1, 0, 1) if (d1, d2) != (0, 0))


PARAMETERS = ("w", "b", "gamma", "param")  # what a weight decay can be a multiple of


def _extra_term(a):
    """The right answer plus a multiple of a parameter (a weight decay): what the verdict
    compares, minus the right one, is c times a parameter of its shape."""
    (_, v), (_, e) = a.exercise.compared(a.grad, a.value, a.case), a.exercise.compared(a.grad, a.expected, a.case)
    arrays = {k: u for k, u in a.inputs.items() if k in PARAMETERS and isinstance(u, np.ndarray) and u.shape == v.shape}
    for name, u in arrays.items():
        if np.any(u):
            c = float(((v - e) * u).sum() / (u * u).sum())
            if c and close(v, e + c * u):
                return f"{c:+.4g} * {name}"
    return None


def _times_an_input(a):
    """The right answer multiplied entry by entry by an input of its shape (the chain rule taken
    one factor too far)."""
    return a.first((name, a.expected * u) for name, u in a.inputs.items()
                   if isinstance(u, np.ndarray) and u.shape == a.expected.shape and not close(u, 1.0 + 0 * u))


def _masked(a):
    """The right answer where an input is > 0 (or < 0) and 0 elsewhere: a mask that belongs to
    another step (the activation's)."""
    e = a.expected
    for name in ("x", "xhat", "logits"):
        u = a.inputs.get(name)
        if isinstance(u, np.ndarray) and u.shape == e.shape:
            found = a.first((f"zero where {name} {side}", np.where(keep, e, 0.0))
                            for side, keep in (("<= 0", u > 0), (">= 0", u < 0)) if np.any(e[~keep]))
            if found:
                return found
    return None


def _running_sum(a):
    """The right entries summed along an axis as they come (np.cumsum): a sum set to 0 once,
    before the loop, not at each step of it."""
    e, names = a.expected, AXES.get((a.exercise.name, a.grad))
    return a.first((f"along the {names[k]}s" if names else f"along axis {k}", np.cumsum(e, axis=k))
                   for k in range(e.ndim) if e.shape[k] > 1)


def _term(c, name, per_m):
    """c * name as a student would write it (2 dy y, t / M, -y^2), c a small multiple of 1/2 (of 1
    / M where per_m), or None."""
    for unit, over in ((1.0, ""), (per_m, " / M")) if per_m else ((1.0, ""),):
        k = 2 * c / unit
        if abs(k - round(k)) < 1e-6 and 0 < abs(round(k)) <= 8:
            size = f"{abs(round(k)) / 2:g}"
            body = size if name == "1" else name if size == "1" else f"{size} {name}"
            return ("- " if k < 0 else "+ ") + body + over
    return None


def _formula(a):
    """The array as a short sum of terms in dy and y (tanh, sigmoid: dy y - y, where dy y (1 - y)
    belongs) or in p = sigmoid(z), t and 1 / M (BCE: p - t / M, where (p - t) / M belongs): a
    formula written wrong (a bracket lost, a factor on the wrong term). A case with fewer entries
    than terms cannot tell; where it has just as many, the fit is exact whatever the array, and
    only coefficients that are small multiples of 1/2 name it."""
    if a.exercise.name == "bce_with_logits":
        s, t, M, _ = _bce_parts(a)
        terms, per_m = {"p": s, "t": t, "1": np.ones_like(s), "p t": s * t}, 1.0 / M
    else:
        dy, y = a.case.dy, a.inputs["y"]
        terms, per_m = {"dy": dy, "dy y": dy * y, "dy y^2": dy * y * y, "1": np.ones_like(y), "y": y, "y^2": y * y}, None
    if a.value.size < len(terms):
        return None
    basis = np.stack([u.ravel() for u in terms.values()], axis=1)
    coef = np.linalg.lstsq(basis, a.value.ravel(), rcond=None)[0]
    coef = np.where(np.abs(coef) < 1e-9 * max(1.0, float(np.abs(coef).max())), 0.0, coef)
    if not np.any(coef) or not close(basis @ coef, a.value.ravel()):
        return None
    parts = [_term(c, name, per_m) for c, name in zip(coef, terms) if c]
    return None if None in parts else " ".join(parts).removeprefix("+ ")


def _one_branch(a):
    """Right wherever x is on one side of 0, wrong only on the other: the branch (np.where, if)
    for that side written wrong."""
    x = a.inputs.get("logits" if a.grad == "dlogits" else "x")
    if x is None or x.shape != a.value.shape or not np.all(np.isfinite(a.value)):
        return None
    with np.errstate(all="ignore"):
        wrong = np.abs(a.value - a.expected) > 1e-7 * max(float(np.abs(a.expected).max()), 1e-300)
    for side, mask in (("x < 0", x < 0), ("x > 0", x > 0)):
        if wrong.any() and not (wrong & ~mask).any():
            return f"only where {side}".replace("x", "z" if a.grad == "dlogits" else "x", 1)
    return None


PATTERN_NAMES = ("scaled by a known factor", "one branch wrong")
BY_FEATURE = "wrong only where the case has a property"  # given by the grader, which sees every case  # what the array looks like, not how it was written: yields to a mistake


def _scaled_by_a_count(a):
    """c times the right answer, c one of the case's counts (N, M, D, KH * KW, ...), 2, or an
    inverse, negative or square of one."""
    (_, v), (_, e) = a.exercise.compared(a.grad, a.value, a.case), a.exercise.compared(a.grad, a.expected, a.case)
    if v.shape != e.shape or not np.any(e):
        return None
    c = float((v * e).sum() / (e * e).sum())
    which = _factor(c, {**_counts(a), "2": 2})
    return f"{c:.6g} times the right answer{which}" if which and close(v, c * e) else None


MISTAKES = [
    Mistake("input changed in place", (), (), lambda a: None,  # found by the grader, which sees the inputs after the call
            "{grad}"),
    Mistake("np.empty where zeros belong", ("*",), ("*",), _read_before_written,
            "{grad} reads memory from np.empty before writing it ({detail}): np.empty gives whatever the memory held "
            "(zeros by luck, or garbage), so a sum started there (+=) or entries never written are wrong; start from "
            "np.zeros (np.zeros_like), or write every entry before reading it"),
    Mistake("gradients in the wrong order", ("*",), ("*",), _swapped,
            "{grad} is what {detail} should be: return them in the order the exercise asks for"),
    Mistake("update not in place", ("adam",), ("param", "m", "v"), _not_in_place,
            "{grad} did not change: adam_update must write into param, m and v ({grad}[...] = ...), not bind a new "
            "array to the name or return it"),
    Mistake("extra axes of size 1", ("*",), ("*",), _extra_axes,
            "{grad} holds the right numbers, {detail}: every gradient has the shape of what it is the gradient of "
            "(a sum with keepdims=True keeps an axis of size 1; db is shaped (M,), not (1, M))"),
    Mistake("transposed", ("*",), ("*",), _axes_permuted,
            "{grad} holds the right numbers, {detail}: every gradient has the shape of what it is the gradient "
            "of (dense's dw is x.T @ dy, shaped like w (D, M), not dy.T @ x)"),
    Mistake("reshaped where a transpose belongs", ("*",), ("*",), _reshaped,
            "{grad} holds the right numbers {detail}, then reshaped to the shape asked for: reshape keeps the "
            "numbers in their order in memory and only regroups them; to swap axes use .T or np.transpose (dense's "
            "dw is x.T @ dy)"),
    Mistake("weights regrouped by a reshape", ("dense", "conv2d"), ("dx",), _weights_regrouped,
            "{grad} is what the right formula gives with w's entries regrouped ({detail}): reshape keeps the numbers in "
            "their order in memory, so a reshape to another axis order scrambles them (w.reshape(F, -1).T is not "
            "im2col's (KH*KW*C, F) matrix w.reshape(-1, F); dense's w.T is not w.reshape(M, D)); move axes with "
            "transpose, then reshape"),
    Mistake("missing batch sum", ("dense", "conv2d", "batchnorm"), ("dw", "db", "dgamma", "dbeta"), _one_sample,
            "{grad} is the {detail}'s term, not their sum over the batch: every sample used the same parameters, so "
            "each sample's contribution adds up (db = dy summed over the batch axis, and for a conv over the pixels "
            "too)"),
    Mistake("summed over the wrong axis", ("dense", "conv2d", "batchnorm"), ("db", "dgamma", "dbeta"), _wrong_axis,
            "{grad} is {detail}: a bias's gradient sums dy over every axis but the last (the batch, and for a "
            "conv the pixels), leaving one entry per output"),
    Mistake("= where += belongs", ("dense", "conv2d", "batchnorm"), ("dx", "dw", "db", "dgamma", "dbeta"),
            _overwritten,
            "{grad} kept only the last term written into it: accumulate with +=, starting from zeros"),
    Mistake("divided by the batch size", ("dense", "conv2d", "batchnorm"), ("dx",), _divided_by_batch,
            "{grad} is divided by N: each sample's dx is its own, no mean over the batch (the loss's 1/N is in dy "
            "already)"),
    Mistake("db summed once per tap", ("conv2d",), ("db",), _db_per_tap,
            "{grad} counts dy once for {detail} of the kernel: b is added once per output pixel, so db sums dy over "
            "the batch and the pixels, outside the loops over kh and kw"),
    Mistake("product of sums", ("dense", "conv2d"), ("dw",), _product_of_sums,
            "{grad} is the batch's summed inputs times its summed dy: the sum of the products x * dy over the batch "
            "(and the pixels) is not the product of the two sums (dense's dw is x.T @ dy)"),
    Mistake("the batch loop one short", ("dense", "conv2d", "batchnorm"), ("dx", "dw", "db", "dgamma", "dbeta"),
            _one_short, "{grad} has {detail}: loop over every sample, range(N), n = 0 ... N - 1"),
    Mistake("mean where a sum belongs", ("dense", "conv2d", "batchnorm"), ("dw", "db", "dgamma", "dbeta"),
            _mean_for_sum, "{grad} is {detail}: it is a sum, not a mean (the loss already took its mean; dy carries "
                           "that 1/N)"),
    Mistake("relu's slope at 0", ("relu",), ("dx",), _slope("at 0", "half at 0"),
            "{grad} lets dy through where x == 0: relu's slope there is 0 in minigan's training (x > 0, not x >= 0), "
            "and x is exactly 0 there whenever a zero bias meets an all-zero input"),
    Mistake("slope on the wrong side", ("relu", "leaky_relu"), ("dx",), _slope("wrong side", "wrong side with 0"),
            "{grad} has the slopes of the two sides of 0 swapped: slope 1 where x > 0, "
            "0 (relu) or alpha (leaky_relu) where x <= 0"),
    Mistake("hard-coded slope", ("leaky_relu",), ("dx",), _slope("slope"),
            "{grad} uses the slope {detail} where x <= 0, not alpha: use the argument alpha (the grader tries "
            "several)"),
    Mistake("leaky slope missing", ("leaky_relu",), ("dx",), _slope("alpha zero", "one minus alpha"),
            "{grad} is not alpha * dy where x <= 0: that side of LeakyReLU has slope alpha, not 0 or 1 - alpha"),
    Mistake("masked by dy, not x", ("relu", "leaky_relu"), ("dx",), _slope("dy's sign"),
            "{grad} follows dy's sign: the slope depends on the forward's input x, not on the gradient"),
    Mistake("the forward, not its slope", ("relu", "leaky_relu"), ("dx",),
            _slope("times x", "times relu(x)", "forward on the left", "forward as the left slope"),
            "{grad} is dy times the forward's value: the backward multiplies dy by the slope (1 or 0/alpha)"),
    Mistake("slope missing", ("relu", "leaky_relu"), ("dx",), _slope("no slope"),
            "{grad} is dy unchanged: multiply by the slope, which is not 1 where x <= 0"),
    Mistake("wrong slope", ("relu", "leaky_relu"), ("dx",), _constant_slopes,
            "{grad} is dy times {detail}: the slopes are 1 where x > 0 and 0 (relu) or alpha (leaky_relu) where "
            "x <= 0"),
    Mistake("dy not multiplied in", ("relu", "leaky_relu", "tanh", "sigmoid"), ("dx",), _dy_missing,
            "{grad} is the activation's slope alone: the chain rule multiplies it by the upstream gradient dy"),
    Mistake("x-formula applied to y", ("tanh", "sigmoid"), ("dx",), _derivative_in_x,
            "{grad} applies the derivative's formula in x to y: the second argument is the forward's output y, "
            "so the derivative is 1 - y^2 (tanh) or y (1 - y) (sigmoid), with no tanh/sigmoid applied again"),
    Mistake("wrong derivative", ("tanh", "sigmoid"), ("dx",), _derivative_wrong,
            "{grad} is dy * ({detail}): d tanh/dx = 1 - y^2, d sigmoid/dx = y (1 - y), with y the forward's output"),
    Mistake("sigmoid of |x|", ("sigmoid", "bce_with_logits"), ("y", "dlogits"), _sigmoid_of_abs,
            "{grad} uses {detail}: the stable form takes exp(-|x|) in both branches, 1 / (1 + exp(-|x|)) for x >= 0 "
            "and exp(-|x|) / (1 + exp(-|x|)) for x < 0"),
    Mistake("sigmoid's argument scaled", ("sigmoid", "bce_with_logits"), ("y", "dlogits"), _sigmoid_argument_scaled,
            "{grad} uses {detail}: sigmoid(x) = 1 / (1 + exp(-x)) = (1 + tanh(x / 2)) / 2"),
    Mistake("sigmoid mirrored", ("sigmoid",), ("y",), _sigmoid_mirrored,
            "{grad} is 1 - sigmoid(x), that is sigmoid(-x): 1 / (1 + exp(-x)), with the minus sign"),
    Mistake("x clipped", ("sigmoid", "bce_with_logits"), ("y", "dlogits"), _clipped,
            "{grad} is sigmoid(clip(x, -{detail}, {detail})): clipping avoids the overflow but changes the answer "
            "beyond |x| = {detail} (sigmoid(40) differs from 1 by 4e-18, sigmoid({detail}) by more); pick the form "
            "whose exp cannot overflow for each sign of x instead"),
    Mistake("sigmoid overflow", ("sigmoid", "bce_with_logits"), ("y", "dlogits"), _overflowed,
            "{grad} is not finite for large |x|: exp(x) / (1 + exp(x)) is inf / inf = nan for x >> 0, and "
            "1 / (1 + exp(-x)) overflows (harmlessly, to 0) for x << 0; use each form only where its exp "
            "cannot overflow: 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0"),
    Mistake("loss's 1/M missing", ("bce_with_logits",), ("dlogits",), _bce_missing_mean,
            "{grad} is M times too large: the loss is the mean over its M entries, so each entry's gradient carries "
            "1/M"),
    Mistake("divided by rows, not entries", ("bce_with_logits",), ("dlogits",), _bce_rows,
            "{grad} is divided by the number of rows (logits.shape[0]): the loss is the mean over all M entries, "
            "logits.size"),
    Mistake("sigmoid's derivative multiplied in", ("bce_with_logits",), ("dlogits",), _bce_sigmoid_derivative,
            "{grad} carries an extra sigmoid(z) (1 - sigmoid(z)): the log's derivative cancels it, leaving "
            "(sigmoid(z) - t) / M"),
    Mistake("logits for sigmoid(logits)", ("bce_with_logits",), ("dlogits",), _bce_logits_for_sigmoid,
            "{grad} is (z - t) / M: the gradient is (sigmoid(z) - t) / M"),
    Mistake("targets flipped", ("bce_with_logits",), ("dlogits",), _bce_targets_flipped,
            "{grad} is (sigmoid(z) - (1 - t)) / M: the target t is the probability of class 1, the gradient "
            "(sigmoid(z) - t) / M"),
    Mistake("gradient of the probability", ("bce_with_logits",), ("dlogits",), _bce_probability,
            "{grad} is dL/dp, with p = sigmoid(z): dL/dz multiplies it by p (1 - p), giving (p - t) / M"),
    Mistake("the stable form differentiated wrong", ("bce_with_logits",), ("dlogits",), _bce_stable_form,
            "{grad} differentiates max(z, 0) - z t + log(1 + exp(-|z|)) with {detail}: term by term it is "
            "[z > 0] - t - sign(z) exp(-|z|) / (1 + exp(-|z|)), which is sigmoid(z) - t, over M"),
    Mistake("flipped kernel in dx", ("conv2d",), ("dx", "dw"), _conv_flipped,
            "{grad} uses the kernel flipped (w[KH-1-kh, KW-1-kw]): the forward is a cross-correlation, so the "
            "backward sends dy back through the same tap w[kh, kw] the forward used"),
    Mistake("kh and kw swapped", ("conv2d",), ("dx", "dw"), _conv_swapped,
            "{grad} pairs the kernel row kh with the input column (and kw with the row): ih = oh*stride - padding + kh, "
            "iw = ow*stride - padding + kw"),
    Mistake("stride applied to the tap", ("conv2d",), ("dx", "dw"), _conv_tap_stride,
            "{grad} spaces the kernel's taps by the stride, (oh + kh) * stride - padding: the stride spaces the "
            "windows only, ih = oh*stride - padding + kh"),
    Mistake("bounds check off by one", ("conv2d",), ("dx", "dw"), _conv_strict_bound,
            "{grad} leaves out input row and column 0: the check is 0 <= ih < H (and 0 <= iw < W), not 0 < ih"),
    Mistake("stride not applied", ("conv2d",), ("dx", "dw"), _conv_unstrided,
            "{grad} sends the gradient to the wrong pixels: window (oh, ow) starts at input row oh*stride - padding, "
            "not oh - padding; apply the stride as the forward does"),
    Mistake("padding offset wrong", ("conv2d",), ("dx", "dw"), _conv_offset,
            "{grad} is the right gradient moved by the padding, {detail}: window (oh, ow) reads input row "
            "ih = oh*stride - padding + kh (on a padded copy of x, crop dx_padded[:, p:p+H, p:p+W])"),
    Mistake("negative index wraps", ("conv2d",), ("dx", "dw"), _conv_wrapped,
            "{grad} has terms from taps in the padding: a negative index (ih = -1) reads the last row in NumPy "
            "instead of failing; check both ends, 0 <= ih < H and 0 <= iw < W"),
    Mistake("output size computed wrong", ("conv2d",), ("dx", "dw", "db"), _conv_output_size,
            "{grad} leaves out windows: the loops ran over {detail} output pixels, dy has more; take Ho, Wo from "
            "dy.shape (they are (H + 2 padding - KH) // stride + 1, ...)"),
    Mistake("padding cropped with [p:-p]", ("conv2d",), ("dx",), _cropped_to_nothing,
            "{grad} is empty at padding 0: dx_padded[:, p:-p] is dx_padded[:, 0:0] when p = 0; crop with "
            "dx_padded[:, p:p + H, p:p + W]"),
    Mistake("padding not cropped", ("conv2d",), ("dx",), _padding_not_cropped,
            "{grad} has the padded input's shape: the padding is not part of x, so crop it off (dx must be x's shape)"),
    Mistake("BatchNorm with N - 1", ("batchnorm",), ("dx",), _bn("N - 1"),
            "{grad} divides by N - 1 where BatchNorm divides by N: the forward's variance is biased (a mean over N), "
            "so every mean in dx is over N"),
    Mistake("BatchNorm mean and variance terms missing", ("batchnorm",), ("dx",), _bn("both terms"),
            "{grad} treats the batch mean and variance as constants: x[n, f] also moves mean[f] and var[f], so dx "
            "needs - mean(dy) and - xhat * mean(dy * xhat) over the batch"),
    Mistake("BatchNorm mean term missing", ("batchnorm",), ("dx",), _bn("mean term"),
            "{grad} is missing the term through the batch mean: - mean(dy) over the batch"),
    Mistake("BatchNorm variance term missing", ("batchnorm",), ("dx",), _bn("variance term"),
            "{grad} is missing the term through the batch variance: - xhat * mean(dy * xhat) over the batch"),
    Mistake("BatchNorm 1/N missing", ("batchnorm",), ("dx",), _bn("1/N missing"),
            "{grad} has sums where BatchNorm's means belong: mean and var divide by N, so their terms in dx do too"),
    Mistake("BatchNorm 1/N twice", ("batchnorm",), ("dx",), _bn("1/N twice"),
            "{grad} divides a mean by N once more: mean(dy) is already sum(dy) / N"),
    Mistake("BatchNorm term with the wrong sign", ("batchnorm",), ("dx",), _bn("sign"),
            "{grad} has {detail}: the terms through the batch statistics are subtracted, "
            "dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat))"),
    Mistake("gamma or inv_std wrong in dx", ("batchnorm",), ("dx",),
            _bn("gamma missing", "inv_std missing", "inv_std squared", "divided by inv_std"),
            "{grad} has its factor wrong ({detail}): dx = gamma * inv_std * (dy - mean(dy) - xhat mean(dy xhat))"),
    Mistake("BatchNorm term with a wrong factor", ("batchnorm",), ("dx",), _bn("coefficients"),
            "{grad} is gamma inv_std ({detail}) over the batch: the right factors are 1, -1 and -1"),
    Mistake("BatchNorm means over the wrong axis", ("batchnorm",), ("dx",), _bn_wrong_axis,
            "{grad} takes its means {detail}: mean and var are per feature, over the batch, so dx's means are "
            "over axis 0 (dy.mean(axis=0))"),
    Mistake("BatchNorm term scaled per feature", ("batchnorm",), ("dx",), _bn_term_per_feature,
            "{grad} has {detail}: dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat)); in a staged derivation "
            "check each power of inv_std (dvar carries -inv_std^3 / 2, and x - mean = xhat / inv_std)"),
    Mistake("BatchNorm term with xhat misplaced", ("batchnorm",), ("dx",), _bn_xhat_misplaced,
            "{grad} is gamma inv_std ({detail}) over the batch: xhat multiplies the variance term, "
            "dx = gamma inv_std (dy - mean(dy) - xhat mean(dy xhat))"),
    Mistake("scaled per feature", ("batchnorm",), ("dgamma", "dbeta"), _bn_scaled_per_feature,
            "{grad} is multiplied by {detail}: dbeta = sum(dy), dgamma = sum(dy * xhat), over the batch"),
    Mistake("xhat missing in dgamma", ("batchnorm",), ("dgamma",), _bn_dgamma_without_xhat,
            "{grad} is sum(dy): y = gamma * xhat + beta, so dgamma = sum(dy * xhat) over the batch"),
    Mistake("Adam without bias correction", ("adam",), ("param", "m", "v"),
            _adam(("both", dict(correct=(False, False))), ("m_hat's", dict(correct=(False, True))),
                  ("v_hat's", dict(correct=(True, False)))),
            "{grad} moved without the bias correction ({detail}): m_hat = m / (1 - beta1^t) and "
            "v_hat = v / (1 - beta2^t) (m and v start at zero, so early steps are too small without them)"),
    Mistake("Adam's power t±1", ("adam",), ("param", "m", "v"), _adam(*POWERS),
            "{grad} uses beta^({detail}) in the bias correction: step is t itself, counted from 1, so the "
            "corrections are 1 - beta1^step and 1 - beta2^step"),
    Mistake("update's sign", ("adam",), ("param",), _adam(("", dict(sign=1.0))),
            "{grad} moved up the gradient: param -= lr * m_hat / (sqrt(v_hat) + eps)"),
    Mistake("betas swapped", ("adam",), ("param", "m", "v"),
            _adam(("", dict(swap=True)), ("", dict(swap="moments only"))),
            "{grad} uses beta2 for m and beta1 for v: m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g^2"),
    Mistake("eps inside the square root", ("adam",), ("param",), _adam(("", dict(eps_inside=True))),
            "{grad} divides by sqrt(v_hat + eps): eps goes outside the root, sqrt(v_hat) + eps (it matters where "
            "gradients are small)"),
    Mistake("square root missing", ("adam",), ("param",),
            _adam(("m_hat / (v_hat + eps)", dict(root=False)), ("m_hat / v_hat", dict(root=False, eps=0.0))),
            "{grad} moves by {detail}: the step divides by the square root, sqrt(v_hat) + eps, "
            "so that it has the size of lr whatever the gradient's scale (v_hat holds squared gradients)"),
    Mistake("eps missing", ("adam",), ("param",), _adam(("", dict(eps=0.0))),
            "{grad} divides by sqrt(v_hat) alone: add eps, sqrt(v_hat) + eps (it keeps the step finite where v is "
            "0 and matters where gradients are small)"),
    Mistake("eps added to the step", ("adam",), ("param",),
            _adam(("", dict(eps_outside=True)), ("", dict(eps_outside="after lr"))),
            "{grad} adds eps to the step: eps belongs in the denominator, sqrt(v_hat) + eps"),
    Mistake("hard-coded setting", ("adam",), ("param", "m", "v"), _adam_hard_coded,
            "{grad} uses {detail}, not the argument: use the arguments lr, beta1, beta2 and eps (the grader varies "
            "them all)"),
    Mistake("bias-corrected moments stored", ("adam",), ("m", "v"), _adam(("", dict(store_hat=True))),
            "{grad} holds the bias-corrected moment: m and v keep the running means; m_hat and v_hat are for this "
            "step only"),
    Mistake("(1 - beta) missing", ("adam",), ("param", "m", "v"),
            _adam(("in m", dict(no_one_minus=(True, False))), ("in v", dict(no_one_minus=(False, True))),
                  ("in m and v", dict(no_one_minus=(True, True)))),
            "{grad} is off: the new gradient enters {detail} with the factor (1 - beta)"),
    Mistake("g for g^2 in v", ("adam",), ("param", "v"), _adam(("", dict(unsquared="plain")),
                                                                ("", dict(unsquared="abs"))),
            "{grad} is off: v is the running mean of the gradient's square, v = beta2 v + (1 - beta2) g^2"),
    Mistake("an input returned", ("*",), ("*",), _an_input,
            "{grad} is the input {detail}, returned as it came in"),
    Mistake("wrong beta in a bias correction", ("adam",), ("param",),
            _adam(("beta1 in v_hat", dict(hat_betas=(1, 1))), ("beta2 in m_hat", dict(hat_betas=(2, 2))),
                  ("beta2 in m_hat and beta1 in v_hat", dict(hat_betas=(2, 1)))),
            "{grad} uses {detail}: m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t)"),
    Mistake("bias correction written wrong", ("adam",), ("param",),
            _adam(*((f"{form} in {which}_hat".replace("both_hat", "m_hat and v_hat"),
                     dict(correction_form=(which, form))) for form in ("no power", "power outside", "times t")
                    for which in ("m", "v", "both")),
                  ("lr (1 - beta2^t) / (1 - beta1^t) as the step size, the square root missing",
                   dict(folded_without_root=True))),
            "{grad} has the bias correction written wrong ({detail}): it is 1 - beta^t, beta to the power of the "
            "step, then subtracted from 1"),
    Mistake("moments used before their update", ("adam",), ("param",),
            _adam(*((f"{w}_hat from the old {w}".replace("both_hat from the old both", "m_hat and v_hat from the "
                                                                                       "old m and v"),
                     dict(stale=w)) for w in ("m", "v", "both"))),
            "{grad} moved with {detail}: update m and v first, then correct and use them"),
    Mistake("eps before the bias correction", ("adam",), ("param",), _adam(("", dict(eps_uncorrected=True))),
            "{grad} moved by lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps): the paper's efficient form "
            "equals Adam only with eps_hat = eps * sqrt(1 - beta2^t) in place of eps (it matters where gradients are "
            "small); or write m_hat / (sqrt(v_hat) + eps)"),
    Mistake("a number where an array belongs", ("*",), ("*",),
            lambda a: "" if a.value.ndim == 0 and a.expected.ndim > 0 else None,
            "{grad} is a single number: np.mean / np.sum without an axis reduce the whole array; return an array "
            "shaped like the input it is the gradient of"),
    Mistake("sign flipped", ("*",), ("*",), _sign_flipped, "{grad} has the right size and the wrong sign"),
    Mistake("an extra term", ("*",), ("*",), _extra_term,
            "{grad} is the right answer {detail}: a term the loss does not have (a weight decay belongs to the "
            "loss or the optimizer, not to this function)"),
    Mistake("an input multiplied in", ("*",), ("*",), _times_an_input,
            "{grad} is the right answer times {detail}, entry by entry: the chain rule multiplies dy by the "
            "derivative of this step's output, which has no such factor here"),
    Mistake("masked where it should not be", ("dense", "conv2d", "batchnorm", "bce_with_logits"), ("*",), _masked,
            "{grad} is right where it is not 0, and {detail}: that mask belongs to another step (an activation's "
            "backward runs as a step of its own), not to this one"),
    Mistake("a sum not reset", ("*",), ("*",), _running_sum,
            "{grad} is the right entries summed one after another {detail}: a sum set to 0 once, before the loop, "
            "carries over; set it to 0 at the start of each step of the loop"),
    Mistake("scaled by a known factor", ("*",), ("*",), _scaled_by_a_count,
            "{grad} is {detail}: a factor the formula does not have (a sum inside a loop it does not belong to, a "
            "mean where a sum belongs, or the reverse)"),
    Mistake("one branch wrong", ("relu", "leaky_relu", "tanh", "sigmoid", "bce_with_logits"), ("y", "dx", "dlogits"),
            _one_branch, "{grad} is right on one side of 0 and wrong {detail}: the branch for that side (an np.where "
                         "or if) computes something else; check its formula alone"),
    Mistake("wrong formula", ("tanh", "sigmoid", "bce_with_logits"), ("dx", "dlogits"), _formula,
            "{grad} is {detail}: dtanh = dy (1 - y^2), dsigmoid = dy y (1 - y), dBCE/dz = (p - t) / M with "
            "p = sigmoid(z); check the brackets and which factor multiplies which term"),
]


ONE_NDIM = "written for one number of dimensions"
WRONG_SIZE = "a loop over the wrong size"
MISMATCH = "a product of mismatched shapes"
UNDEFINED = "a name the function does not have"
EVERY_AXIS_PADDED = "padded on every axis"
ERROR_NAMES = (ONE_NDIM, "sigmoid overflow", WRONG_SIZE, MISMATCH, UNDEFINED,
               EVERY_AXIS_PADDED)  # the names an exception can get (named_error)
SCALAR_ONLY = ("only 0-dimensional arrays can be converted", "only length-1 arrays can be converted",
               "only size-1 arrays can be converted", "setting an array element with a sequence",
               "truth value of an array with more than one element is ambiguous")  # an array where a number belongs
INNER_SIZES = (re.compile(r"ValueError: matmul: .*\(size (\d+) is different from (\d+)\)"),
               re.compile(r"ValueError: shapes \S+ and \S+ not aligned: (\d+) \(dim \d+\) != (\d+) \(dim \d+\)"))
SIZE_NAMES = {  # what each axis of an input is called, for an index that ran past one
    "dense": {"x": ("N", "D"), "w": ("D", "M"), "b": ("M",), "dy": ("N", "M")},
    "conv2d": {"x": ("N", "H", "W", "C"), "w": ("KH", "KW", "C", "F"), "b": ("F",), "dy": ("N", "Ho", "Wo", "F")},
    "batchnorm": {"dy": ("N", "F"), "xhat": ("N", "F"), "gamma": ("F",), "inv_std": ("F",)},
}
OUT_OF_BOUNDS = re.compile(r"IndexError: index (\d+) is out of bounds for axis (\d+) with size (\d+)")


def _index_past_the_end(exercise, case, error):
    """An index that ran past the end of an axis, where other sizes of the case are larger: the
    loop that makes it runs over one of them -> the explanation, or None."""
    found = OUT_OF_BOUNDS.match(error["message"])
    if not found:
        return None
    index, axis, size = map(int, found.groups())
    names = SIZE_NAMES.get(exercise.name, {})
    arrays = {k: v for k, v in {**case.inputs, "dy": case.dy}.items() if isinstance(v, np.ndarray)}

    def called(k, j):
        return f"{names[k][j]} = {arrays[k].shape[j]}" if k in names else f"{k}.shape[{j}] = {arrays[k].shape[j]}"

    def indexed(k):  # the index expression at ``axis`` where the line subscripts k (or its gradient dk), else ""
        for inside in re.findall(rf"\bd?{k}\[([^\[\]]*)\]", error.get("text") or ""):
            parts = [s.strip() for s in inside.split(",")]
            if len(parts) > axis:
                return parts[axis]
        return ""

    holders = [k for k, v in arrays.items() if v.ndim > axis and v.shape[axis] == size]
    holders = [k for k in holders if indexed(k)] or holders
    mine = {called(k, axis) for k in holders}
    larger = list(dict.fromkeys(called(k, j) for k in arrays for j in range(arrays[k].ndim)
                                if arrays[k].shape[j] > index and called(k, j) not in mine))
    if not holders or not larger:
        return None
    where = " or ".join(f"axis {axis} of {k} ({called(k, axis)})" + (f", indexed by {indexed(k)}" if indexed(k) else "")
                        for k in holders)
    return (f"index {index} went past the end of {where}: the loop that makes it runs over another size, "
            f"one of {', '.join(larger)}; each index runs over the size of the axis it indexes")


def named_error(exercise, cases, error):
    """(name, explanation) of an exception from the student's code that its case explains: an
    overflow on the overflow case, code written for the first case's number of dimensions
    meeting another, or an index past an axis's end that another size of the case reaches; else
    None."""
    labels = [c.label for c in cases]
    if error.get("case") not in labels:
        return None
    i = labels.index(error["case"])
    if cases[i].info.get("overflow") and error["message"].startswith("OverflowError"):
        return ["sigmoid overflow", "exp overflowed at |x| = 1000 (math.exp raises where np.exp gives inf): use "
                                    "exp only of arguments <= 0, 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) "
                                    "for x < 0"]

    def ndim(case):
        return next(v.ndim for v in case.inputs.values() if isinstance(v, np.ndarray))

    ran = sorted({ndim(c) for c in cases[:i]})
    if ran and ndim(cases[i]) not in ran:
        return [ONE_NDIM,
                f"it ran on the {'-D and '.join(map(str, ran))}-D cases and raised on this {ndim(cases[i])}-D one: "
                f"the functions take any shape, as training calls them (biases are 1-D, a convolution's arrays "
                f"4-D); loop over a flat view (a.reshape(-1)) or use whole-array operations"]
    if any(text in error["message"] for text in SCALAR_ONLY):
        return [ONE_NDIM, f"a number was expected where an array came, on this {ndim(cases[i])}-D case: code that "
                          f"indexes fewer axes than an array has (m[i] of a 2-D m is a row) gets arrays where it "
                          f"expects numbers; loop over a flat view (a.reshape(-1)) or use whole-array operations"]
    past_the_end = _index_past_the_end(exercise, cases[i], error)
    if past_the_end:
        return [WRONG_SIZE, past_the_end]
    mismatched = _inner_sizes(exercise, cases[i], error["message"])
    if mismatched:
        return [MISMATCH, mismatched]
    if _padded_on_every_axis(exercise, cases[i], error["message"]):
        return [EVERY_AXIS_PADDED, "an array in the failing operation is x padded on all four axes, the batch and the "
                                   "channels too (np.pad(x, p) pads every axis): pad the rows and columns only, "
                                   "np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))"]
    undefined = re.match(r"NameError: name '(\w+)' is not defined", error["message"])
    if undefined:
        return [UNDEFINED, f"{undefined.group(1)} is neither an argument of {error.get('function') or 'the function'} nor "
                           f"set in it, nor imported: use the arguments the exercise passes (their names are in the "
                           f"stub's signature), or define it first"]
    return None


def _padded_on_every_axis(exercise, case, message):
    """Whether the error names a shape whose batch and channel axes grew by 2 * padding as well."""
    p = case.inputs.get("padding") if exercise.name == "conv2d" else 0
    if not p:
        return False
    N, C = case.inputs["x"].shape[0], case.inputs["x"].shape[3]
    shapes = [tuple(int(n) for n in m.split(",") if n.strip()) for m in re.findall(r"\(([\d, ]+)\)", message)]
    return any(len(sh) == 4 and sh[0] == N + 2 * p and sh[3] == C + 2 * p for sh in shapes)


def _inner_sizes(exercise, case, message):
    """A matrix product whose inner sizes differ -> the explanation with those sizes by name, or None."""
    found = next((m for m in (r.match(message) for r in INNER_SIZES) if m), None)
    if not found:
        return None
    names = SIZE_NAMES.get(exercise.name, {})
    arrays = {k: v for k, v in {**case.inputs, "dy": case.dy}.items() if isinstance(v, np.ndarray)}

    def called(n):
        known = list(dict.fromkeys(names[k][j] for k in names if k in arrays for j in range(arrays[k].ndim)
                                   if arrays[k].shape[j] == n))
        return f"{n} ({' or '.join(known)})" if known else str(n)

    a, b = (int(g) for g in found.groups())
    return (f"the inner sizes of a product differ, {called(a)} and {called(b)}: a factor needs a transpose (.T), "
            f"or the two are the wrong way round; write each product's shapes down, (N, M) @ (M, D) -> (N, D)")


def explain_all(name, answers):
    """The explanations of mistake ``name`` for each answer, or None unless it explains them all."""
    mistake = next(m for m in MISTAKES if m.name == name)
    messages = []
    for a in answers:
        with np.errstate(all="ignore"):
            detail = mistake.test(a)
        if detail is None:
            return None
        messages.append(mistake.explain.format(grad=a.grad, detail=detail))
    return messages


def diagnose(answer):
    """-> (name, explanation) of the first mistake that explains ``answer``, or None."""
    for m in MISTAKES:
        if ((answer.exercise.name in m.exercises or "*" in m.exercises)
                and (answer.grad in m.gradients or "*" in m.gradients)):
            with np.errstate(all="ignore"):
                detail = m.test(answer)
            if detail is not None:
                return m.name, m.explain.format(grad=answer.grad, detail=detail)
    return None


# -- where an unnamed error lies ------------------------------------------------------------

AXES = {  # what each axis of a returned array counts, for saying where it is wrong
    ("dense", "dx"): ("sample", "input"), ("dense", "dw"): ("input", "output"), ("dense", "db"): ("output",),
    ("conv2d", "dx"): ("sample", "row", "column", "channel"),
    ("conv2d", "dw"): ("kernel row", "kernel column", "input channel", "output channel"),
    ("conv2d", "db"): ("output channel",), ("batchnorm", "dx"): ("sample", "feature"),
    ("batchnorm", "dgamma"): ("feature",), ("batchnorm", "dbeta"): ("feature",),
}
SHIFTED_AXES = {("conv2d", "dx"): (1, 2), ("conv2d", "dw"): (0, 1)}  # where a pixel can slip


def _counts(a):
    """The counts a factor may be: the batch, the entries, the pixels, the kernel's taps, ..."""
    info, out = a.case.info, {}
    for k in ("N", "M", "rows"):
        if info.get(k):
            out[k] = info[k]
    if "w" in a.inputs and a.case.dy.ndim == 4:
        out["Ho * Wo"] = int(np.prod(a.case.dy.shape[1:3]))
        out["KH * KW"] = int(np.prod(a.inputs["w"].shape[:2]))
    if "alpha" in a.inputs:
        out["alpha"] = a.inputs["alpha"]
    if a.exercise.name == "dense":
        out["D"], out["M"] = a.inputs["x"].shape[1], a.inputs["w"].shape[1]
    if a.exercise.name == "adam":  # a bias correction applied twice, or its root lost
        i = a.inputs
        out["1 / (1 - beta1^t)"] = 1 / (1 - i["beta1"] ** i["step"])
        out["sqrt(1 - beta2^t)"] = np.sqrt(1 - i["beta2"] ** i["step"])
    return out


def _factor(c, counts):
    """' (= N)' and the like when the factor c is one of the counts, or its inverse, negative or square,
    or for a count n of things, n / (n - 1) or its inverse (a mean over one entry too few or many)."""
    forms = ((lambda n: n, "{}"), (lambda n: 1 / n, "1/{}"), (lambda n: -n, "-{}"), (lambda n: n * n, "{}^2"),
             (lambda n: n / (n - 1), "{0}/({0} - 1): divided by {0} - 1 where {0} belongs"),
             (lambda n: (n - 1) / n, "({0} - 1)/{0}: divided by {0} where {0} - 1 belongs, or one term short"))
    for form, text in forms:
        for name, n in counts.items():
            if "- 1" in text and not (float(n).is_integer() and n >= 2):
                continue
            v = form(n)
            if abs(c - v) <= 1e-6 * abs(v):
                return f" (= {text.format(name)})"
    return ""


def _shift(a):
    """'shifted by k along axis' when the value is the right array moved by one or two pixels."""
    axes = SHIFTED_AXES.get((a.exercise.name, a.grad), ())
    v, e = a.value, a.expected
    names = AXES.get((a.exercise.name, a.grad))
    for axis in axes:
        n = v.shape[axis]
        for k in (1, -1, 2, -2):
            if abs(k) >= n - 1:
                continue
            mine = np.take(v, range(max(k, 0), n + min(k, 0)), axis=axis)
            right = np.take(e, range(max(-k, 0), n + min(-k, 0)), axis=axis)
            if np.any(right != 0) and close(mine, right):
                return f"the right numbers moved {abs(k)} {names[axis]}{'s' if abs(k) > 1 else ''} " \
                       f"{'down/right' if k > 0 else 'up/left'} along the {names[axis]}s (off by {abs(k)} pixel)"
    return None


def _which(a, wrong):
    """Which entries are wrong, in words: a condition on x, or the indices along an axis."""
    x = a.inputs.get("x")
    if a.exercise.name in ("relu", "leaky_relu", "tanh", "sigmoid") and x is not None and x.shape == wrong.shape:
        for text, mask in (("x < 0", x < 0), ("x > 0", x > 0), ("x == 0", x == 0), ("|x| >= 40", np.abs(x) >= 40)):
            if mask.any() and np.array_equal(wrong, mask):
                return f", exactly where {text}"
    names = AXES.get((a.exercise.name, a.grad))
    if names is None or wrong.all():
        return ""
    parts = []
    for axis, name in enumerate(names):
        hit = np.flatnonzero(wrong.any(axis=tuple(j for j in range(wrong.ndim) if j != axis)))
        if 0 < hit.size < wrong.shape[axis]:
            ends = {0: "first", wrong.shape[axis] - 1: "last"}
            where = ends.get(int(hit[0]), str(int(hit[0]))) if hit.size == 1 else ", ".join(map(str, hit[:6]))
            parts.append(f"{name}{'s' if hit.size > 1 else ''} {where}" + (" ..." if hit.size > 6 else ""))
    return f", only in {' and '.join(parts)}" if parts else ""


def locate(a):
    """(the pattern's kind, a message) for a wrong array no mistake names: where it is wrong and how."""
    v, e, g = a.value, a.expected, a.grad
    if v.shape == e.shape:  # what the verdict compares: for Adam's param, the step
        (g, v), (_, e) = a.exercise.compared(a.grad, v, a.case), a.exercise.compared(a.grad, e, a.case)
    if v.shape != e.shape:
        return "shape", f"{g} has shape {v.shape}; expected {e.shape}"
    finite = np.isfinite(v)
    if not finite.all():
        j = np.unravel_index(int(np.argmin(finite)), v.shape)
        where = _which(a, ~finite)
        return "not finite", (f"{g} is not finite (nan or inf) at {int((~finite).sum())} of {v.size} entries{where}, "
                              f"first at index {tuple(int(i) for i in j)}")
    with np.errstate(all="ignore"):
        scale = max(float(np.abs(v).max(initial=0)), float(np.abs(e).max(initial=0)), 1e-300)
        wrong = np.abs(v - e) > 1e-7 * scale
        c = float((v * e).sum() / (e * e).sum()) if np.any(e) else 0.0
    if np.any(e) and close(v, c * e):
        return "scaled", f"{g} is {c:.6g} times the right answer, every entry{_factor(c, _counts(a))}"
    shifted = _shift(a)
    if shifted:
        return "shifted", f"{g} is {shifted}"
    ratio = ""
    with np.errstate(all="ignore"):
        r = v[wrong] / e[wrong]
    if r.size > 1 and np.all(np.isfinite(r)) and np.ptp(r) <= 1e-6 * abs(r[0]):
        ratio = f"; there it is {r[0]:.6g} times the right value{_factor(float(r[0]), _counts(a))}"
    j = np.unravel_index(int(np.argmax(np.abs(v - e))), v.shape)
    part = "every entry" if wrong.all() else f"{int(wrong.sum())} of {v.size} entries"
    return "entries", (f"{g} is wrong at {part}{_which(a, wrong)}{ratio}: at index {tuple(int(i) for i in j)} "
                       f"it is {v[j]:.6g}, the right value is {e[j]:.6g}")
