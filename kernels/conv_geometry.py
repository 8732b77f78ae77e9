"""The geometry of a 2-D convolution, resolved once and passed as one object.

Every convolution kernel, CPU and CUDA, reference and fast, takes the same ConvGeometry
(as cs231n passes its conv_param): the input and kernel sizes, the stride, the padding on
each side and the output size they give,
    Ho = (H + pt + pb - KH) // sh + 1,   Wo = (W + pl + pr - KW) // sw + 1,
and the block B in which the output's pixels are written (1: plain NHWC; see below).
It is a NamedTuple of ints, which Numba compiles as a tuple: njit functions read its fields
by name, and a CUDA launch passes it as its thirteen ints.

**The output in blocks (space-to-depth).** A convolution whose next layer has stride =
kernel = B and no padding (D's conv2 and conv3) reads its input in B x B tiles. With
out_block=B the kernels write their output with each tile's B*B pixels side by side,
    y_blocked[n, i, j, (a*B + b)*F + f] = y[n, i*B + a, j*B + b, f]    shape (N, Ho/B, Wo/B, B*B*F),
which is the next layer's im2col matrix as it lies in memory: that layer is then a 1 x 1
convolution over y_blocked, and its im2col and col2im are reshapes. The GEMM writes the
rows in this order for free (row_of). space_to_depth / depth_to_space convert with NumPy.
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
    B: int  # the output's pixels are written in B x B blocks (space-to-depth); 1: plain NHWC


def output_shape(g, N, F):
    """The shape of a convolution's output y for N samples and F kernels: (N, Ho, Wo, F), or
    blocked, (N, Ho/B, Wo/B, B*B*F)."""
    return N, g.Ho // g.B, g.Wo // g.B, g.B * g.B * F


def cols_are_the_input(g):
    """Every window is one input pixel's whole NHWC row, in x's pixel order, so im2col is a
    reshape of x and col2im one of dcols, both free. Two cases: one window that starts at the
    corner and covers the image (a 3x3 kernel on a 3x3 input), and a 1x1 kernel at stride 1
    without padding (a layer over blocked input, above); and the rows in x's pixel order: no
    blocks, or one block a row (Wo = B)."""
    whole_input = g.Ho == 1 and g.Wo == 1 and g.KH == g.H and g.KW == g.W and g.pt == 0 and g.pl == 0
    pointwise = g.KH == 1 and g.KW == 1 and g.sh == 1 and g.sw == 1 and g.pt + g.pb + g.pl + g.pr == 0
    return (whole_input or pointwise) and (g.B == 1 or g.Wo == g.B)


def space_to_depth(y, B):
    """NHWC y (N, H, W, F) -> (N, H/B, W/B, B*B*F), each B x B tile's pixels side by side:
    the layout a convolution writes with out_block=B."""
    N, H, W, F = y.shape
    return y.reshape(N, H // B, B, W // B, B, F).transpose(0, 1, 3, 2, 4, 5).reshape(N, H // B, W // B, B * B * F)


def depth_to_space(y_blocked, B):
    """The inverse of space_to_depth: (N, H/B, W/B, B*B*F) -> NHWC (N, H, W, F)."""
    N, Hb, Wb, BBF = y_blocked.shape
    F = BBF // (B * B)
    return y_blocked.reshape(N, Hb, Wb, B, B, F).transpose(0, 1, 3, 2, 4, 5).reshape(N, Hb * B, Wb * B, F)


def _pair(op, name, value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value
    ):
        return int(value[0]), int(value[1])
    raise ValueError(f"{op}: {name} must be an int or an (h, w) pair of ints, got {value!r}")


def conv_geometry(op, x_shape, w_shape, stride, padding, out_block=1):
    """Resolve stride and padding for input x_shape (N, H, W, C) and kernels w_shape
    (KH, KW, C, F) -> ConvGeometry; a ValueError naming op if they give no output, or an
    output that out_block (an int >= 1) does not tile.

    padding: an int, an (h, w) pair (symmetric zero padding), 'valid' (none) or 'same'
    (Keras semantics: output = ceil(input / stride); when the total padding is odd the
    extra row/column goes at the bottom/right).
    """
    sh, sw = _pair(op, "stride", stride)
    if sh < 1 or sw < 1:
        raise ValueError(f"{op}: stride must be >= 1, got {stride!r}")
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
            raise ValueError(f"{op}: padding must be an int, an (h, w) pair, 'valid' or 'same', got {padding!r}")
    else:
        ph, pw = _pair(op, "padding", padding)
        if ph < 0 or pw < 0:
            raise ValueError(f"{op}: padding must be >= 0, got {padding!r}")
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
    if isinstance(out_block, bool) or not isinstance(out_block, (int, np.integer)) or out_block < 1:
        raise ValueError(f"{op}: out_block must be an int >= 1 (1: plain NHWC output), got {out_block!r}")
    if Ho % out_block or Wo % out_block:
        raise ValueError(
            f"{op}: out_block={out_block} must divide the output's {Ho}x{Wo} pixels (x.shape={tuple(x_shape)}, "
            f"a {KH}x{KW} kernel, stride={stride!r}); use out_block=1, or a block that divides {Ho} and {Wo}"
        )
    return ConvGeometry(H, W, KH, KW, sh, sw, pt, pb, pl, pr, Ho, Wo, int(out_block))
