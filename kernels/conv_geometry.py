"""The geometry of a 2-D convolution, resolved once and passed as one object.

Every convolution kernel, in every engine, takes the same ConvGeometry (as cs231n passes its
conv_param): the input and kernel sizes, the stride, the padding on each side and the
output size they give,
    Ho = (H + pt + pb - KH) // sh + 1,   Wo = (W + pl + pr - KW) // sw + 1.
It is a NamedTuple of twelve ints, which Numba compiles as a tuple: njit functions read its
fields by name, and a CUDA launch passes it as its twelve ints.
"""

from typing import NamedTuple

import numpy as np


class ConvGeometry(NamedTuple):
    H: int  # input rows
    W: int  # input columns
    KH: int  # kernel rows
    KW: int  # kernel columns
    sh: int  # stride between windows, rows
    sw: int  # and columns
    pt: int  # zero rows above the input
    pb: int  # below
    pl: int  # zero columns left of the input
    pr: int  # right
    Ho: int  # output rows
    Wo: int  # output columns


def output_shape(g, N, F):
    """The shape of a convolution's output y for N samples and F kernels: (N, Ho, Wo, F)."""
    return N, g.Ho, g.Wo, F


def cols_are_the_input(g):
    """Every window is one input pixel's whole NHWC row, in x's pixel order, so im2col is a
    reshape of x and col2im one of dcols, both free. Two cases: one window that starts at the
    corner and covers the image (a 3x3 kernel on a 3x3 input: D's conv3), and a 1x1 kernel at
    stride 1 without padding."""
    whole_input = g.Ho == 1 and g.Wo == 1 and g.KH == g.H and g.KW == g.W and g.pt == 0 and g.pl == 0
    pointwise = g.KH == 1 and g.KW == 1 and g.sh == 1 and g.sw == 1 and g.pt + g.pb + g.pl + g.pr == 0
    return whole_input or pointwise


def _pair(op, name, value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        return int(value[0]), int(value[1])
    raise ValueError(f"{op}: {name} must be an int or an (h, w) pair of ints, got {value!r}")


def check_stride(op, stride):
    """An int or an (h, w) pair of ints, each >= 1 -> (sh, sw)."""
    sh, sw = _pair(op, "stride", stride)
    if sh < 1 or sw < 1:
        raise ValueError(f"{op}: stride must be >= 1, got {stride!r}")
    return sh, sw


def check_padding(op, padding):
    """An int, an (h, w) pair of ints >= 0, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding.lower() not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be an int, an (h, w) pair, 'valid' or 'same', got {padding!r}")
        return
    ph, pw = _pair(op, "padding", padding)
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {padding!r}")


def conv_geometry(op, x_shape, w_shape, stride, padding):
    """Resolve stride and padding for input x_shape (N, H, W, C) and kernels w_shape
    (KH, KW, C, F) -> ConvGeometry; a ValueError naming op if they give no output.

    padding: an int, an (h, w) pair (symmetric zero padding), 'valid' (none) or 'same'
    (Keras semantics: output = ceil(input / stride); when the total padding is odd the
    extra row/column goes at the bottom/right).
    """
    sh, sw = check_stride(op, stride)
    check_padding(op, padding)
    _, H, W, _ = x_shape
    KH, KW = w_shape[0], w_shape[1]
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            pt = pb = pl = pr = 0
        elif mode == "same":
            Ho, Wo = -(-H // sh), -(-W // sw)
            ph = max((Ho - 1) * sh + KH - H, 0)
            pw = max((Wo - 1) * sw + KW - W, 0)
            pt, pl = ph // 2, pw // 2
            pb, pr = ph - pt, pw - pl
    else:
        ph, pw = _pair(op, "padding", padding)
        pt = pb = ph
        pl = pr = pw
    Ho = (H + pt + pb - KH) // sh + 1
    Wo = (W + pl + pr - KW) // sw + 1
    if Ho < 1 or Wo < 1:
        raise ValueError(
            f"{op}: stride={stride!r}, padding={padding!r} give an empty output ({Ho}x{Wo}) for "
            f"x.shape={tuple(x_shape)} and a {KH}x{KW} kernel (w.shape={tuple(w_shape)}); "
            f"use a smaller kernel or stride, or more padding"
        )
    return ConvGeometry(H, W, KH, KW, sh, sw, pt, pb, pl, pr, Ho, Wo)
