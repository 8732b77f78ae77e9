"""The common mistakes the lab recognises, by name.

Each mistake is written as what it makes a student's function return: a wrong gradient is
compared with the output each mistake would give on the same case, and the first that
matches names the fault. tests/test_lab.py proves every one with a deliberately wrong
implementation. A wrong gradient that matches none is reported by its worst entry.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from minigan.gradcheck import compare


def close(a, b, tol=1e-7):
    """Equal to float64 round-off: the same shape, and minigan.gradcheck's relative error
    (normalised by the larger array's largest entry) at most tol."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and compare("", a, b).rel_error <= tol


@dataclass(frozen=True)
class Mistake:
    name: str
    exercises: tuple  # where it can happen
    gradients: tuple  # which returned arrays it shows in
    matches: Callable  # (value, expected, case) -> bool
    explain: str  # what went wrong and how to fix it; {grad} is the gradient's name


def _transposed(value, expected, case):
    value = np.asarray(value)
    return value.ndim == 2 and value.shape == expected.shape[::-1] and close(value.T, expected)


def _not_summed_over_batch(value, expected, case):
    """The per-sample terms kept (an extra batch axis), or one sample's term taken for the sum."""
    value, N = np.asarray(value), case.info.get("N")
    if value.shape == (N, *expected.shape):
        return close(value.sum(axis=0), expected)
    if value.shape != expected.shape or N is None or N < 2:
        return False
    dy, x = case.dy, case.inputs.get("x")
    one_sample = []
    if expected.ndim == 1:  # a bias: the sum of dy's rows over the batch (and the pixels, for a conv)
        rows = dy.reshape(-1, dy.shape[-1])
        one_sample += [rows[0], rows[-1]]
    elif x is not None and x.ndim == 2:  # dense dw = sum_n x[n]^T dy[n]
        one_sample += [np.outer(x[0], dy[0]), np.outer(x[-1], dy[-1])]
    return any(close(value, s) for s in one_sample)


def _mean_for_sum(value, expected, case):
    """Divided by the number of terms it sums: the batch, or for a conv the batch and the pixels."""
    N = case.info.get("N")
    counts = {N}
    if case.dy is not None and case.dy.ndim == 4:
        counts.add(int(np.prod(case.dy.shape[:3])))
    return np.asarray(value).shape == expected.shape and any(c and c > 1 and close(np.asarray(value) * c, expected)
                                                             for c in counts)


def _missing_mean_factor(value, expected, case):
    M = case.info.get("M")
    return M is not None and M > 1 and close(value, expected * M)


def _stride_not_applied(value, expected, case):
    s = case.info.get("stride")
    if not s or s == 1:
        return False
    i = case.inputs
    return close(value, conv_dx_without_stride(case.dy, i["x"].shape, i["w"], s, i["padding"]))


def conv_dx_without_stride(dy, x_shape, w, stride, padding):
    """dx as if every window started one pixel after the last (oh - p + kh), not a stride after."""
    N, H, W, _ = x_shape
    KH, KW = w.shape[:2]
    dx = np.zeros(x_shape)
    for n in range(N):
        for oh in range(dy.shape[1]):
            for ow in range(dy.shape[2]):
                for kh in range(KH):
                    ih = oh - padding + kh
                    for kw in range(KW):
                        iw = ow - padding + kw
                        if 0 <= ih < H and 0 <= iw < W:
                            dx[n, ih, iw] += w[kh, kw] @ dy[n, oh, ow]
    return dx


def _padding_not_cropped(value, expected, case):
    p = case.info.get("padding")
    value = np.asarray(value)
    if not p or value.ndim != 4:
        return False
    N, H, W, C = expected.shape
    return value.shape == (N, H + 2 * p, W + 2 * p, C) and close(value[:, p:p + H, p:p + W], expected)


def _batchnorm_parts(case):
    from minigan.lab.exercises import EXERCISES

    xhat, inv_std = EXERCISES["batchnorm"].saved(case)
    return case.dy, xhat, case.inputs["gamma"] * inv_std


def _batchnorm_mean_terms_missing(value, expected, case):
    dy, xhat, scale = _batchnorm_parts(case)
    mean_dy, mean_dy_xhat = dy.mean(axis=0), (dy * xhat).mean(axis=0)
    wrong = (scale * dy,  # as if the batch statistics were constants
             scale * (dy - mean_dy),  # the variance's term left out
             scale * (dy - xhat * mean_dy_xhat))  # the mean's term left out
    return any(close(value, w) for w in wrong)


def _batchnorm_one_over_n_missing(value, expected, case):
    dy, xhat, scale = _batchnorm_parts(case)
    N = dy.shape[0]
    wrong = (scale * (dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0)),  # sums where the means belong
             expected * N)  # the whole expression's 1/N
    return any(close(value, w) for w in wrong)


def _adam_without_bias_correction(value, expected, case):
    i = case.inputs
    m = i["beta1"] * i["m"] + (1 - i["beta1"]) * i["grad"]
    v = i["beta2"] * i["v"] + (1 - i["beta2"]) * i["grad"] ** 2
    return close(value, i["param"] - i["lr"] * m / (np.sqrt(v) + i["eps"]))


def _not_in_place(value, expected, case):
    return np.array_equal(value, case.inputs["param"]) and not np.array_equal(expected, case.inputs["param"])


def _overflowed(value, expected, case):
    return bool(case.info.get("overflow")) and not np.all(np.isfinite(value))


def _sign_flipped(value, expected, case):
    return close(value, -np.asarray(expected)) and np.any(expected != 0)


MISTAKES = [
    Mistake("transposed", ("dense",), ("dw",), _transposed,
            "{grad} is the transpose of the right answer: dw has w's shape (D, M), so it is x.T @ dy, not dy.T @ x"),
    Mistake("missing batch sum", ("dense", "conv2d"), ("dw", "db"), _not_summed_over_batch,
            "{grad} is missing its sum over the batch: every sample used the same parameters, so each sample's "
            "contribution adds up (db = dy summed over the batch axis, and for a conv over the pixels too)"),
    Mistake("mean where a sum belongs", ("dense", "conv2d"), ("dw", "db"), _mean_for_sum,
            "{grad} is divided by the number of terms it sums: it is a sum over the batch, not a mean (the loss "
            "already took its mean; dy carries that 1/N)"),
    Mistake("loss's 1/M missing", ("bce_with_logits",), ("dlogits",), _missing_mean_factor,
            "{grad} is M times too large: the loss is the mean over its M entries, so each entry's gradient carries 1/M"),
    Mistake("stride not applied", ("conv2d",), ("dx",), _stride_not_applied,
            "{grad} sends the gradient to the wrong pixels: window (oh, ow) starts at input row oh*stride - padding, "
            "not oh - padding; apply the stride in dx as the forward does"),
    Mistake("padding not cropped", ("conv2d",), ("dx",), _padding_not_cropped,
            "{grad} has the padded input's shape: the padding is not part of x, so crop it off (dx must be x's shape)"),
    Mistake("BatchNorm mean-of-gradient terms missing", ("batchnorm",), ("dx",), _batchnorm_mean_terms_missing,
            "{grad} treats the batch mean or variance as constants: x[n, f] also moves mean[f] and var[f], which every "
            "row shares, so dx needs the terms - mean(dy) and - xhat * mean(dy * xhat) over the batch"),
    Mistake("BatchNorm 1/N missing", ("batchnorm",), ("dx",), _batchnorm_one_over_n_missing,
            "{grad} has sums where BatchNorm's means belong: mean and var divide by N, so their terms in dx do too"),
    Mistake("Adam without bias correction", ("adam",), ("param",), _adam_without_bias_correction,
            "{grad} moved by lr * m / (sqrt(v) + eps): the bias corrections m / (1 - beta1^t) and v / (1 - beta2^t) "
            "are missing (m and v start at zero, so early steps are too small without them)"),
    Mistake("update not in place", ("adam",), ("param",), _not_in_place,
            "{grad} did not change: adam_update must write into param, m and v (param[...] = ...), not return new arrays"),
    Mistake("sigmoid overflow", ("sigmoid", "bce_with_logits"), ("y", "dlogits"), _overflowed,
            "{grad} is not finite for large |x|: exp(x) / (1 + exp(x)) is inf / inf = nan for x >> 0, and "
            "1 / (1 + exp(-x)) overflows (harmlessly, to 0) for x << 0; use each form only where its exp "
            "cannot overflow: 1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) for x < 0"),
    Mistake("sign flipped", ("*",), ("*",), _sign_flipped, "{grad} has the right size and the wrong sign"),
]


def diagnose(exercise, grad, value, expected, case):
    """-> (name, explanation) of the first mistake that explains ``value``, or None."""
    for m in MISTAKES:
        if (exercise in m.exercises or "*" in m.exercises) and (grad in m.gradients or "*" in m.gradients):
            with np.errstate(all="ignore"):
                if m.matches(value, expected, case):
                    return m.name, m.explain.format(grad=grad)
    return None
