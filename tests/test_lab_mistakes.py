"""Every named mistake, proven by a deliberately wrong implementation that the grader fails
and names, at 50 seeds: nothing wrong passes at any seed.

The grading runs in this process without Numba (grader.run_file and judge_file, the child's
and the parent's halves), with the cases of each seed made once per exercise. The sources
are numpy one-liners where that is how a student writes it, so that 50 seeds stay fast.
tests/lab/students/ holds a separate set, written as students write, that measures how
often the grader names what it catches (tests/test_lab_students.py)."""

import textwrap

import numpy as np
import pytest

from minigan.lab.exercises import EXERCISES
from minigan.lab.grader import judge_file, run_file
from minigan.lab.mistakes import BY_FEATURE, ERROR_NAMES, MISTAKES

SEEDS = range(50)

CONV = """
def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C))
    xp[:, p:p + H, p:p + W] = x
    dxp, dw = np.zeros(xp.shape), np.zeros(w.shape)
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            g = dy[:, oh, ow, :]
            a, b = START
            dw += np.einsum("nhwc,nf->hwcf", xp[:, a:a + KH, b:b + KW], g)
            dxp[:, a:a + KH, b:b + KW] += np.einsum("hwcf,nf->nhwc", TAPS, g)
    return CROP, DW, DB
"""
CONV_RIGHT = dict(START="oh * s, ow * s", TAPS="w", CROP="dxp[:, p:p + H, p:p + W]", DW="dw",
                  DB="dy.sum(axis=(0, 1, 2))")


def conv(**slip):
    source = CONV
    for k, v in {**CONV_RIGHT, **slip}.items():
        source = source.replace(k, v)
    return source


CONV_LOOPS = """
def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    dx, dw, db = np.zeros(x.shape), np.zeros(w.shape), np.zeros(F)
    for oh in range(dy.shape[1]):
        for ow in range(dy.shape[2]):
            for kh in range(KH):
                for kw in range(KW):
                    ih, iw = IH, IW
                    if INSIDE:
                        dw[kh, kw] += x[:, ih, iw].T @ dy[:, oh, ow]
                        dx[:, ih, iw] += dy[:, oh, ow] @ w[kh, kw].T
                        DB_PER_TAP
    return dx, dw, DB
"""


def conv_loops(ih="oh * s - p + kh", iw="ow * s - p + kw", inside="0 <= ih < H and 0 <= iw < W", rows="dy.shape[1]",
               cols="dy.shape[2]", db="dy.sum(axis=(0, 1, 2))", per_tap="pass"):
    return (CONV_LOOPS.replace("IH", ih).replace("IW", iw).replace("INSIDE", inside).replace("DB_PER_TAP", per_tap)
            .replace("range(dy.shape[1])", f"range({rows})").replace("range(dy.shape[2])", f"range({cols})")
            .replace("DB", db))


BN = """
def batchnorm_backward(dy, xhat, gamma, inv_std):
    N = dy.shape[0]
    return DX, (dy * xhat).sum(axis=0), dy.sum(axis=0)
"""


def bn(dx):
    return BN.replace("DX", dx)


ADAM = """
def adam_update(param, grad, m, v, step, lr, beta1, beta2, eps):
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** step)
    v_hat = v / (1 - beta2 ** step)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)
"""


def adam(*swaps):
    source = ADAM
    for old, new in zip(swaps[::2], swaps[1::2]):
        assert old in source, old
        source = source.replace(old, new)
    return source


def one(name, body):
    """A file with one function, ``name``, returning ``body``."""
    args = {"relu_backward": "dy, x", "leaky_relu_backward": "dy, x, alpha", "tanh_backward": "dy, y",
            "bce_with_logits_backward": "logits, targets", "dense_backward": "dy, x, w"}[name]
    return f"def {name}({args}):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ") + "\n"


SIGMOID_RIGHT_FORWARD = """
def sigmoid_forward(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
"""

# (exercise, source, the array at fault, the mistake's name)
WRONG = {
    "dense dw transposed": ("dense", one("dense_backward", "return dy @ w.T, dy.T @ x, dy.sum(axis=0)"), "dw",
                            "transposed"),
    "dense db one sample": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy, dy[0]"), "db",
                            "missing batch sum"),
    "dense dw per sample": ("dense", one("dense_backward", "return dy @ w.T, x[:, :, None] * dy[:, None, :], "
                                                          "dy.sum(axis=0)"), "dw", "missing batch sum"),
    "dense dw mean": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy / x.shape[0], dy.sum(axis=0)"), "dw",
                      "mean where a sum belongs"),
    "dense db wrong axis": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy, dy.sum(axis=1)"), "db",
                            "summed over the wrong axis"),
    "dense dw =": ("dense", one("dense_backward", """
        dw = np.zeros(w.shape)
        for n in range(x.shape[0]):
            dw = np.outer(x[n], dy[n])
        return dy @ w.T, dw, dy.sum(axis=0)"""), "dw", "= where += belongs"),
    "dense db total": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy, dy.sum()"), "db",
                       "a number where an array belongs"),
    "dense dx mean": ("dense", one("dense_backward", "return dy @ w.T / len(x), x.T @ dy, dy.sum(axis=0)"), "dx",
                      "divided by the batch size"),
    "dense dx reshaped": ("dense", one("dense_backward", "return (w @ dy.T).reshape(x.shape), x.T @ dy, dy.sum(axis=0)"),
                          "dx", "reshaped where a transpose belongs"),
    "dense dw of sums": ("dense", one("dense_backward", "return dy @ w.T, np.outer(x.sum(axis=0), dy.sum(axis=0)), "
                                                        "dy.sum(axis=0)"), "dw", "product of sums"),
    "dense last sample left out": ("dense", one("dense_backward", "return dy @ w.T, x[:-1].T @ dy[:-1], dy.sum(axis=0)"),
                                   "dw", "the batch loop one short"),
    "dense dw from np.empty": ("dense", one("dense_backward", """
        dw = np.empty_like(w)
        for n in range(len(x)):
            dw += np.outer(x[n], dy[n])
        return dy @ w.T, dw, dy.sum(axis=0)"""), "dw", "np.empty where zeros belong"),
    "bce over M - 1": ("bce_with_logits", one("bce_with_logits_backward",
                                              "return (0.5 * (1 + np.tanh(logits / 2)) - targets) / (logits.size - 1)"),
                       "dlogits", "scaled by a known factor"),
    "dense dx via w.reshape": ("dense", one("dense_backward", "return dy @ w.reshape(w.shape[1], w.shape[0]), x.T @ dy, "
                                                              "dy.sum(axis=0)"), "dx", "weights regrouped by a reshape"),
    "dense db total everywhere": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy, np.full(w.shape[1], dy.sum())"),
                                  "db", "summed over the wrong axis"),
    "dense dx = in the loop over m": ("dense", one("dense_backward", """
        dx = np.zeros(x.shape)
        for m in range(w.shape[1]):
            dx[...] = np.outer(dy[:, m], w[:, m])
        return dx, x.T @ dy, dy.sum(axis=0)"""), "dx", "= where += belongs"),
    "dense db times D": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy, dy.sum(axis=0) * x.shape[1]"), "db",
                         "scaled by a known factor"),
    "dense w indices swapped": ("dense", one("dense_backward", """
        dx = np.zeros(x.shape)
        for n in range(x.shape[0]):
            for d in range(x.shape[1]):
                for m in range(w.shape[1]):
                    dx[n, d] += dy[n, m] * w[m, d]
        return dx, x.T @ dy, dy.sum(axis=0)"""), None, "a loop over the wrong size"),
    "dense dw decayed": ("dense", one("dense_backward", "return dy @ w.T, x.T @ dy + 0.01 * w, dy.sum(axis=0)"), "dw",
                         "an extra term"),
    "dense dy.dot(w)": ("dense", one("dense_backward", "return dy.dot(w), x.T @ dy, dy.sum(axis=0)"), None,
                        "a product of mismatched shapes"),
    "dense db sum not reset": ("dense", one("dense_backward", """
        db, total = np.zeros(w.shape[1]), 0.0
        for m in range(w.shape[1]):
            for n in range(x.shape[0]):
                total += dy[n, m]
            db[m] = total
        return dy @ w.T, x.T @ dy, db"""), "db", "a sum not reset"),
    "dense sign": ("dense", one("dense_backward", "return -dy @ w.T, x.T @ dy, dy.sum(axis=0)"), "dx", "sign flipped"),
    "relu x >= 0": ("relu", one("relu_backward", "return dy * (x >= 0)"), "dx", "relu's slope at 0"),
    "relu heaviside half": ("relu", one("relu_backward", "return dy * np.heaviside(x, 0.5)"), "dx",
                            "relu's slope at 0"),
    "relu wrong side": ("relu", one("relu_backward", "return dy * (x < 0)"), "dx", "slope on the wrong side"),
    "relu dy's sign": ("relu", one("relu_backward", "return np.maximum(dy, 0)"), "dx", "masked by dy, not x"),
    "relu times x": ("relu", one("relu_backward", "return dy * np.maximum(x, 0)"), "dx", "the forward, not its slope"),
    "relu no slope": ("relu", one("relu_backward", "return dy.copy()"), "dx", "slope missing"),
    "relu no dy": ("relu", one("relu_backward", "return (x > 0) * 1.0"), "dx", "dy not multiplied in"),
    "relu sign": ("relu", one("relu_backward", "return -dy * (x > 0)"), "dx", "sign flipped"),
    "relu writes dy": ("relu", one("relu_backward", "dy[x <= 0] = 0.0\nreturn dy"), "dy", "input changed in place"),
    "leaky wrong side": ("leaky_relu", one("leaky_relu_backward", "return np.where(x > 0, alpha * dy, dy)"), "dx",
                         "slope on the wrong side"),
    "leaky 0.2": ("leaky_relu", one("leaky_relu_backward", "return np.where(x > 0, dy, 0.2 * dy)"), "dx",
                  "hard-coded slope"),
    "leaky alpha x as the slope": ("leaky_relu", one("leaky_relu_backward", "return dy * np.where(x > 0, 1.0, alpha * x)"),
                                   "dx", "the forward, not its slope"),
    "leaky as relu": ("leaky_relu", one("leaky_relu_backward", "return np.where(x > 0, dy, 0.0)"), "dx",
                      "leaky slope missing"),
    "leaky writes dy": ("leaky_relu", one("leaky_relu_backward", "dy[x <= 0] *= alpha\nreturn dy"), "dy",
                        "input changed in place"),
    "relu leaks": ("relu", one("relu_backward", "return np.where(x > 0, dy, 0.1 * dy)"), "dx", "wrong slope"),
    "relu 2-D loops": ("relu", one("relu_backward", """
        dx = np.zeros(dy.shape)
        for i in range(x.shape[0]):
            for j in range(x.shape[1]):
                dx[i, j] = dy[i, j] if x[i, j] > 0 else 0.0
        return dx"""), None, "written for one number of dimensions"),
    "relu 1-D loop": ("relu", one("relu_backward", """
        dx = np.zeros(dy.shape)
        for i in range(x.shape[0]):
            dx[i] = dy[i] if x[i] > 0 else 0.0
        return dx"""), None, "written for one number of dimensions"),
    "relu reads y": ("relu", one("relu_backward", "return dy * (y > 0)  # noqa: F821"), None,
                     "a name the function does not have"),
    "tanh times y": ("tanh", one("tanh_backward", "return dy * (1 - y * y) * y"), "dx", "an input multiplied in"),
    "tanh in x": ("tanh", one("tanh_backward", "return dy * (1 - np.tanh(y) ** 2)"), "dx", "x-formula applied to y"),
    "tanh 1 - y": ("tanh", one("tanh_backward", "return dy * (1 - y)"), "dx", "wrong derivative"),
    "tanh bracket lost": ("tanh", one("tanh_backward", "return dy * (1 - y) - y"), "dx", "wrong formula"),
    "tanh no dy": ("tanh", one("tanh_backward", "return 1 - y * y"), "dx", "dy not multiplied in"),
    "sigmoid in x": ("sigmoid", SIGMOID_RIGHT_FORWARD + """
def sigmoid_backward(dy, y):
    s = 1 / (1 + np.exp(-y))
    return dy * s * (1 - s)
""", "dx", "x-formula applied to y"),
    "sigmoid naive": ("sigmoid", """
def sigmoid_forward(x):
    e = np.exp(x)
    return e / (1 + e)

def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
""", "y", "sigmoid overflow"),
    "sigmoid math.exp": ("sigmoid", """
import math

def sigmoid_forward(x):
    return np.array([1 / (1 + math.exp(-v)) for v in x.ravel()]).reshape(x.shape)

def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
""", None, "sigmoid overflow"),
    "sigmoid of |x|": ("sigmoid", """
def sigmoid_forward(x):
    return 1 / (1 + np.exp(-np.abs(x)))

def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
""", "y", "sigmoid of |x|"),
    "sigmoid branch for x < 0": ("sigmoid", """
def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e)

def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
""", "y", "one branch wrong"),
    "sigmoid mirrored": ("sigmoid", """
def sigmoid_forward(x):
    return 1 / (1 + np.exp(np.clip(x, -500, 500)))

def sigmoid_backward(dy, y):
    return dy * y * (1 - y)
""", "y", "sigmoid mirrored"),
    "bce clipped": ("bce_with_logits", one("bce_with_logits_backward",
                                           "return (1 / (1 + np.exp(-np.clip(logits, -12, 12))) - targets) / logits.size"),
                    "dlogits", "x clipped"),
    "bce targets flipped": ("bce_with_logits", one("bce_with_logits_backward",
                                                   "return (0.5 * (1 + np.tanh(logits / 2)) - 1 + targets) / logits.size"),
                            "dlogits", "targets flipped"),
    "bce sum": ("bce_with_logits", one("bce_with_logits_backward", "return 0.5 * (1 + np.tanh(logits / 2)) - targets"),
                "dlogits", "loss's 1/M missing"),
    "bce rows": ("bce_with_logits", one("bce_with_logits_backward",
                                        "return (0.5 * (1 + np.tanh(logits / 2)) - targets) / logits.shape[0]"),
                 "dlogits", "divided by rows, not entries"),
    "bce stable form without max's derivative": ("bce_with_logits", one("bce_with_logits_backward", """
        e = np.exp(-np.abs(logits))
        return (-targets - np.sign(logits) * e / (1 + e)) / logits.size"""), "dlogits",
                                                 "the stable form differentiated wrong"),
    "bce tanh without the half": ("bce_with_logits", one("bce_with_logits_backward",
                                                         "return (0.5 * (1 + np.tanh(logits)) - targets) / logits.size"),
                                  "dlogits", "sigmoid's argument scaled"),
    "bce masked": ("bce_with_logits", one("bce_with_logits_backward",
                                          "return (0.5 * (1 + np.tanh(logits / 2)) - targets) / logits.size * (logits > 0)"),
                   "dlogits", "masked where it should not be"),
    "bce targets rounded": ("bce_with_logits", one("bce_with_logits_backward",
                                                   "return (0.5 * (1 + np.tanh(logits / 2)) - np.round(targets)) / logits.size"),
                            "dlogits", BY_FEATURE),
    "bce sigmoid'": ("bce_with_logits", one("bce_with_logits_backward", """
        s = 0.5 * (1 + np.tanh(logits / 2))
        return (s - targets) * s * (1 - s) / logits.size"""), "dlogits", "sigmoid's derivative multiplied in"),
    "bce logits": ("bce_with_logits", one("bce_with_logits_backward", "return (logits - targets) / logits.size"),
                   "dlogits", "logits for sigmoid(logits)"),
    "bce dL/dp": ("bce_with_logits", one("bce_with_logits_backward", """
        s = 0.5 * (1 + np.tanh(logits / 2))
        return (s - targets) / (s * (1 - s)) / logits.size"""), "dlogits", "gradient of the probability"),
    "bce naive sigmoid": ("bce_with_logits", one("bce_with_logits_backward", """
        e = np.exp(logits)
        return (e / (1 + e) - targets) / logits.size"""), "dlogits", "sigmoid overflow"),
    "conv flipped": ("conv2d", conv(TAPS="w[::-1, ::-1]"), "dx", "flipped kernel in dx"),
    "conv kh kw swapped": ("conv2d", conv_loops(ih="oh * s - p + kw", iw="ow * s - p + kh"), "dw", "kh and kw swapped"),
    "conv stride on the tap": ("conv2d", conv_loops(ih="(oh + kh) * s - p", iw="(ow + kw) * s - p"), "dx",
                               "stride applied to the tap"),
    "conv 0 < ih": ("conv2d", conv_loops(inside="0 < ih < H and 0 < iw < W"), "dx", "bounds check off by one"),
    "conv no stride": ("conv2d", conv_loops(ih="oh - p + kh", iw="ow - p + kw"), "dx", "stride not applied"),
    "conv no padding offset": ("conv2d", conv_loops(ih="oh * s + kh", iw="ow * s + kw"), "dx", "padding offset wrong"),
    "conv upper bound only": ("conv2d", conv_loops(inside="ih < H and iw < W"), "dx", "negative index wraps"),
    "conv Ho without + 1": ("conv2d", conv_loops(rows="(H + 2 * p - KH) // s", cols="(W + 2 * p - KW) // s"), "dw",
                            "output size computed wrong"),
    "conv db in the tap loops": ("conv2d", conv_loops(db="db", per_tap="db += dy[:, oh, ow].sum(axis=0)"), "db",
                                 "db summed once per tap"),
    "conv np.pad on every axis": ("conv2d", conv().replace("xp = np.zeros((N, H + 2 * p, W + 2 * p, C))\n    xp[:, p:p + H, "
                                                           "p:p + W] = x", "xp = np.pad(x, p)"), None, "padded on every axis"),
    "conv im2col w.reshape(F, -1).T": ("conv2d", conv(TAPS="w.reshape(F, -1).T.reshape(w.shape)"), "dx",
                                       "weights regrouped by a reshape"),
    "conv not cropped": ("conv2d", conv(CROP="dxp"), "dx", "padding not cropped"),
    "conv cropped [p:-p]": ("conv2d", conv(CROP="dxp[:, p:-p, p:-p]"), "dx", "padding cropped with [p:-p]"),
    "conv cropped one side": ("conv2d", conv(CROP="dxp[:, :H, :W]"), "dx", "padding offset wrong"),
    "conv cropped the other side": ("conv2d", conv(CROP="dxp[:, 2 * p:, 2 * p:]"), "dx", "padding offset wrong"),
    "conv db per sample": ("conv2d", conv(DB="dy[0].sum(axis=(0, 1))"), "db", "missing batch sum"),
    "conv db kept per sample": ("conv2d", conv(DB="dy.sum(axis=(1, 2))"), "db", "missing batch sum"),
    "conv db =": ("conv2d", conv(DB="dy[-1, -1, -1]"), "db", "= where += belongs"),
    "conv db mean": ("conv2d", conv(DB="dy.mean(axis=(0, 1, 2))"), "db", "mean where a sum belongs"),
    "conv dw c f transposed": ("conv2d", conv(DW="dw.transpose(0, 1, 3, 2)"), "dw", "transposed"),
    "bn constants": ("batchnorm", bn("gamma * inv_std * dy"), "dx", "BatchNorm mean and variance terms missing"),
    "bn mean term": ("batchnorm", bn("gamma * inv_std * (dy - xhat * (dy * xhat).mean(axis=0))"), "dx",
                     "BatchNorm mean term missing"),
    "bn variance term": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=0))"), "dx",
                         "BatchNorm variance term missing"),
    "bn N - 1": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * xhat).sum(axis=0) / (N - 1))"),
                 "dx", "BatchNorm with N - 1"),
    "bn sums": ("batchnorm", bn("gamma * inv_std * (dy - dy.sum(axis=0) - xhat * (dy * xhat).sum(axis=0))"), "dx",
                "BatchNorm 1/N missing"),
    "bn 1/N twice": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=0) / N - xhat * (dy * xhat).mean(axis=0))"),
                     "dx", "BatchNorm 1/N twice"),
    "bn sign": ("batchnorm", bn("gamma * inv_std * (dy + dy.mean(axis=0) - xhat * (dy * xhat).mean(axis=0))"), "dx",
                "BatchNorm term with the wrong sign"),
    "bn no gamma": ("batchnorm", bn("inv_std * (dy - dy.mean(axis=0) - xhat * (dy * xhat).mean(axis=0))"), "dx",
                    "gamma or inv_std wrong in dx"),
    "bn factor": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=0) - 0.5 * xhat * (dy * xhat).mean(axis=0))"),
                  "dx", "BatchNorm term with a wrong factor"),
    "bn means per row": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=1, keepdims=True) - xhat * (dy * "
                                         "xhat).mean(axis=1, keepdims=True))"), "dx", "BatchNorm means over the wrong axis"),
    "bn row sums over N, gamma inside": ("batchnorm", bn("inv_std * (gamma * dy - (gamma * dy).sum(axis=1, keepdims=True) / N - "
                                                        "xhat * (gamma * dy * xhat).sum(axis=1, keepdims=True) / N)"),
                                         "dx", "BatchNorm means over the wrong axis"),
    "bn x - mean as xhat inv_std": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=0) - inv_std ** 4 * xhat * (dy * "
                                                   "xhat).mean(axis=0))"), "dx", "BatchNorm term scaled per feature"),
    "bn inv_std^0 in the variance term": ("batchnorm", bn("gamma * inv_std * (dy - dy.mean(axis=0)) - gamma * xhat * (dy * "
                                                          "xhat).mean(axis=0)"), "dx", "BatchNorm term scaled per feature"),
    "bn xhat in the mean term": ("batchnorm", bn("gamma * inv_std * (dy - xhat * dy.mean(axis=0) - xhat * (dy * "
                                                 "xhat).mean(axis=0))"), "dx", "BatchNorm term with xhat misplaced"),
    "bn dbeta keepdims": ("batchnorm", BN.replace("DX", "gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * "
                                                        "xhat).mean(axis=0))").replace("dy.sum(axis=0)\n",
                                                                                      "dy.sum(axis=0, keepdims=True)\n"),
                          "dbeta", "extra axes of size 1"),
    "bn dgamma times gamma": ("batchnorm", BN.replace("DX", "gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * "
                                                            "xhat).mean(axis=0))").replace(
        "(dy * xhat).sum(axis=0), dy", "(dy * xhat).sum(axis=0) * gamma, dy"), "dgamma", "scaled per feature"),
    "bn dgamma without xhat": ("batchnorm", BN.replace("DX", "gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * "
                                                             "xhat).mean(axis=0))").replace(
        "(dy * xhat).sum(axis=0), dy", "dy.sum(axis=0), dy"), "dgamma", "xhat missing in dgamma"),
    "bn dbeta mean": ("batchnorm", BN.replace("DX", "gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * "
                                                    "xhat).mean(axis=0))").replace("dy.sum(axis=0)\n", "dy.mean(axis=0)\n"),
                      "dbeta", "mean where a sum belongs"),
    "bn swapped order": ("batchnorm", """
def batchnorm_backward(dy, xhat, gamma, inv_std):
    dx = gamma * inv_std * (dy - dy.mean(axis=0) - xhat * (dy * xhat).mean(axis=0))
    return dx, dy.sum(axis=0), (dy * xhat).sum(axis=0)
""", "dgamma", "gradients in the wrong order"),
    "bn dy returned": ("batchnorm", bn("dy"), "dx", "an input returned"),
    "bn writes dy": ("batchnorm", """
def batchnorm_backward(dy, xhat, gamma, inv_std):
    dbeta, dgamma = dy.sum(axis=0), (dy * xhat).sum(axis=0)
    dy -= dy.mean(axis=0) + xhat * (dy * xhat).mean(axis=0)
    return gamma * inv_std * dy, dgamma, dbeta
""", "dy", "input changed in place"),
    "adam uncorrected": ("adam", adam("m_hat = m / (1 - beta1 ** step)", "m_hat = m", "v_hat = v / (1 - beta2 ** step)",
                                      "v_hat = v"), "param", "Adam without bias correction"),
    "adam t+1": ("adam", adam("beta1 ** step", "beta1 ** (step + 1)", "beta2 ** step", "beta2 ** (step + 1)"), "param",
                 "Adam's power t±1"),
    "adam t-1 in v": ("adam", adam("beta2 ** step", "beta2 ** max(step - 1, 1)"), "param", "Adam's power t±1"),
    "adam sign": ("adam", adam("param -= ", "param += "), "param", "update's sign"),
    "adam betas swapped": ("adam", adam("m[...] = beta1 * m + (1 - beta1)", "m[...] = beta2 * m + (1 - beta2)",
                                        "v[...] = beta2 * v + (1 - beta2)", "v[...] = beta1 * v + (1 - beta1)"), "m",
                           "betas swapped"),
    "adam eps inside": ("adam", adam("np.sqrt(v_hat) + eps", "np.sqrt(v_hat + eps)"), "param",
                        "eps inside the square root"),
    "adam no root": ("adam", adam("(np.sqrt(v_hat) + eps)", "(v_hat + eps)"), "param", "square root missing"),
    "adam no eps": ("adam", adam("(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat)"), "param", "eps missing"),
    "adam eps outside": ("adam", adam("m_hat / (np.sqrt(v_hat) + eps)", "(m_hat / np.sqrt(v_hat) + eps)"), "param",
                         "eps added to the step"),
    "adam beta2 0.999": ("adam", adam("v[...] = beta2 * v + (1 - beta2)", "v[...] = 0.999 * v + (1 - 0.999)",
                                      "beta2 ** step", "0.999 ** step"), "v", "hard-coded setting"),
    "adam eps 1e-8": ("adam", adam("+ eps)", "+ 1e-8)"), "param", "hard-coded setting"),
    "adam lr": ("adam", adam("param -= lr", "param -= 0.001"), "param", "hard-coded setting"),
    "adam beta2 in m_hat": ("adam", adam("m / (1 - beta1 ** step)", "m / (1 - beta2 ** step)"), "param",
                            "wrong beta in a bias correction"),
    "adam efficient form": ("adam", adam("    m_hat = m / (1 - beta1 ** step)\n    v_hat = v / (1 - beta2 ** step)\n"
                                         "    param -= lr * m_hat / (np.sqrt(v_hat) + eps)",
                                         "    param -= lr * np.sqrt(1 - beta2 ** step) / (1 - beta1 ** step) * m / "
                                         "(np.sqrt(v) + eps)"), "param", "eps before the bias correction"),
    "adam (1 - beta)^t": ("adam", adam("v / (1 - beta2 ** step)", "v / (1 - beta2) ** step"), "param",
                          "bias correction written wrong"),
    "adam m_hat first": ("adam", adam("    m_hat = m / (1 - beta1 ** step)\n", "",
                                      "    m[...] = beta1", "    m_hat = m / (1 - beta1 ** step)\n    m[...] = beta1"),
                         "param", "moments used before their update"),
    "adam stores hats": ("adam", adam("m_hat = m / (1 - beta1 ** step)", "m[...] = m / (1 - beta1 ** step); m_hat = m",
                                      "v_hat = v / (1 - beta2 ** step)", "v[...] = v / (1 - beta2 ** step); v_hat = v"),
                         "m", "bias-corrected moments stored"),
    "adam no 1 - beta": ("adam", adam("(1 - beta1) * grad", "grad"), "m", "(1 - beta) missing"),
    "adam |g|": ("adam", adam("grad * grad", "np.abs(grad)"), "v", "g for g^2 in v"),
    "adam rebinds": ("adam", adam("m[...] = ", "m = ", "v[...] = ", "v = "), "m", "update not in place"),
    "adam writes grad": ("adam", adam("m[...] = beta1", "grad *= 1.0 - beta1; m[...] = beta1",
                                      "(1 - beta1) * grad", "grad", "grad * grad", "(grad / (1 - beta1)) ** 2"),
                         "grad", "input changed in place"),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wrong")
    out = {}
    for k, (exercise, source, grad, mistake) in WRONG.items():
        path = folder / f"{k.replace(' ', '_').replace('/', '_')}.py"
        path.write_text("import numpy as np\n\n" + textwrap.dedent(source))
        out[k] = path
    return out


def test_every_named_mistake_has_a_wrong_implementation():
    proven = {mistake for _, _, _, mistake in WRONG.values()}
    names = {m.name for m in MISTAKES} | set(ERROR_NAMES) | {BY_FEATURE}
    assert proven == names, names ^ proven


def test_docs_list_every_name():
    from conftest import REPO

    text = " ".join((REPO / "docs" / "lab.md").read_text().split())
    names = [m.name for m in MISTAKES] + list(ERROR_NAMES) + [BY_FEATURE]
    short = [n.removeprefix("BatchNorm ").removeprefix("Adam's ").removeprefix("Adam ") for n in names]
    assert [n for n in short if n not in text] == []


def test_no_wrong_file_passes_at_any_of_50_seeds_and_each_is_named(files):
    """The grader without its child process and without Numba: run_file then judge_file."""
    by_exercise = {}
    for k, (exercise, _, _, _) in WRONG.items():
        by_exercise.setdefault(exercise, []).append(k)
    failures = []
    for exercise, keys in by_exercise.items():
        e = EXERCISES[exercise]
        for seed in SEEDS:
            cases = e.cases(np.random.default_rng(seed))
            for k in keys:
                _, _, grad, mistake = WRONG[k]
                arrays = {}
                record = run_file(e, files[k], cases, False, arrays)
                report = judge_file(e, files[k], seed, cases, record, arrays, gradcheck=False)
                named = {(p["grad"], p["mistake"]) for p in report["problems"]}
                if report["error"] and report["error"]["mistake"]:  # an exception its case explains
                    named.add((None, report["error"]["mistake"][0]))
                if report["right"] or (grad, mistake) not in named:
                    failures.append((k, seed, report["error"] or report["problems"][:3]))
    assert not failures, failures[:5]
