"""The epilogue of a GEMM layer: bias and activation, fused into one pass over its output.

Shapes: h (R, F), the GEMM's output: R rows (N samples for a dense layer, N*Ho*Wo output
pixels for a convolution), F output channels; b (F,).

Forward, in place on h, with s a scalar (1 / sigma for a spectrally normalised layer, else 1):
    y[r, f] = act(s * h[r, f] + b[f])
Backward, given dy (R, F) and the forward's output y:
    dpre[r, f] = dy[r, f] * act'(pre[r, f])      pre = s * h + b, the activation's input
    db[f]      = sum_r dpre[r, f]                 (pre depends on b[f] with slope 1)
    dh[r, f]   = s * dpre[r, f]                   (what the GEMMs' gradients start from)
for the activations
    linear      act(p) = p                         act'(p) = 1
    relu        act(p) = max(p, 0)                 act'(p) = [p > 0]
    leaky_relu  act(p) = p if p > 0 else a*p       act'(p) = 1 if p > 0 else a     (a > 0)
In all three, y > 0 exactly when p > 0, so act' is read off y and the forward may overwrite
h: nothing but y is kept.

Why fused: scaling, adding the bias and applying the activation are each a pass that reads
and writes the whole output; one pass does all three (and the activation layer's separate
output array is never allocated). The scale is how spectral norm's w / sigma is applied
without writing w / sigma out: (x @ w) / sigma = x @ (w / sigma), and s = 1 is exact. The
backward, likewise, applies act' and s and takes db's column sums in one pass. db[f] is
always summed down the rows in order, as the reference loops sum it, so the bits never
depend on the thread count. On large arrays (PARALLEL_BACKWARD_MIN) a
threaded pass writes dpre first and a second pass sums its columns, which beats the single
serial pass only on the largest arrays (docs/speed.md). (Splitting the columns among threads
instead, so that one pass could stay threaded, was slower still: each thread then strides
through every row for 64 bytes of it.)

NaN in, NaN out, as in kernels/cpu/activations.py: ``zero if p <= zero else p`` lets a
NaN through, and no fastmath flag is set.
"""

from numba import njit, prange

from kernels.checks import ACTIVATIONS
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size

LINEAR, RELU, LEAKY_RELU = 0, 1, 2
ACTIVATION_CODES = {"linear": LINEAR, "relu": RELU, "leaky_relu": LEAKY_RELU}
assert set(ACTIVATION_CODES) == set(ACTIVATIONS), "kernels/checks.py's ACTIVATIONS and the codes here must agree"
PARALLEL_BACKWARD_MIN = 1 << 20  # elements; below, the single serial pass is faster


def activation_code(activation):
    """A spec's Activation (kernels/specs.py) -> (the code the compiled loops take, its slope)."""
    return ACTIVATION_CODES[activation.kind], activation.alpha


@njit(cache=True, inline="always")
def activate(p, act, a, zero):
    """act(p) for one element (the GEMM epilogue below, and BatchNorm's pass)."""
    if act == RELU:
        return zero if p <= zero else p
    if act == LEAKY_RELU:
        return a * p if p <= zero else p
    return p


@by_size
def _bias_activation_forward(h, b, act, alpha, s):
    # y = act(s * h + b), written over h (R, F)
    R, F = h.shape
    a, zero = h.dtype.type(alpha), h.dtype.type(0)
    for r in prange(R):  # rows: samples or output pixels
        for f in range(F):  # output channels, contiguous: vectorized
            h[r, f] = activate(s * h[r, f] + b[f], act, a, zero)


@njit(cache=True, inline="always")
def through_activation(g, y, act, a, zero):
    """dy -> dpre for one element: act' is 1 where y > 0, else 0 (relu) or a (leaky_relu)."""
    if act == LINEAR or y > zero:
        return g
    return a * g if act == LEAKY_RELU else zero


@njit(cache=True)
def _activation_backward_and_bias_grad(dy, y, act, alpha, s, dh, db):
    # forward was y = act(s * h + b); one pass: dpre = dy * act'(.) read off y, db[f] += dpre[r, f]
    # down the rows, dh = s * dpre (not written when linear with s = 1: dh is then dy itself)
    R, F = dy.shape
    a, zero = dy.dtype.type(alpha), dy.dtype.type(0)
    write = act != LINEAR or s != dy.dtype.type(1)
    db[:] = zero
    for r in range(R):  # rows in order: db summed as the reference sums it
        for f in range(F):  # output channels, contiguous: vectorized
            g = through_activation(dy[r, f], y[r, f], act, a, zero)
            if write:
                dh[r, f] = s * g
            db[f] += g


@njit(cache=True, parallel=True)
def _activation_backward_threaded(dy, y, act, alpha, dpre):
    # the first pass of the large-array path: dpre only, rows split over threads
    R, F = dy.shape
    a, zero = dy.dtype.type(alpha), dy.dtype.type(0)
    for r in prange(R):
        for f in range(F):
            dpre[r, f] = through_activation(dy[r, f], y[r, f], act, a, zero)


def scale_of(sigma, dtype):
    """The epilogue's s, in the kernel's dtype: 1 / sigma, or 1 without a sigma."""
    one = dtype.type(1)
    return one if sigma is None else one / dtype.type(sigma)


def bias_activation_forward(h, b, activation, s):
    """y = act(s * h + b) over h (R, F), in place; returns h. activation: a spec's Activation;
    s: a scalar of h's dtype (scale_of)."""
    act, alpha = activation_code(activation)
    _bias_activation_forward(h, b, act, alpha, s)
    return h


def activation_backward_and_bias_grad(dy, y, activation, s, out=None):
    """dy, y (R, F) -> (dh = s * dpre, db = sum_r dpre) with dpre = dy * act'(.). For linear with
    s = 1, dh is dy itself (no copy); y is not read when linear and may be None. out: a
    Workspace (kernels/workspace.py) for dh ("epilogue.dpre") and db ("epilogue.db"), or None."""
    act, alpha = activation_code(activation)
    db = buffer(out, "epilogue.db", (dy.shape[1],), dy.dtype)
    if act == LINEAR and s == 1:
        _activation_backward_and_bias_grad(dy, dy, act, 0.0, s, dy, db)
        return dy, db
    dh = buffer(out, "epilogue.dpre", dy.shape, dy.dtype)
    y = dy if y is None else y  # linear: never read
    if dy.size < PARALLEL_BACKWARD_MIN:
        _activation_backward_and_bias_grad(dy, y, act, float(alpha), s, dh, db)
        return dh, db
    _activation_backward_threaded(dy, y, act, float(alpha), dh)
    _activation_backward_and_bias_grad(dh, dh, LINEAR, 0.0, s, dh, db)  # column sums in order, then dh *= s
    return dh, db
