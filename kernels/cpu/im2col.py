"""im2col and col2im: a convolution's windows as the rows of a matrix, and back.

Each output pixel's receptive field is copied into one row of a matrix ``cols``
(N*Ho*Wo, KH*KW*C), so that the convolution is one GEMM, y = cols @ w.reshape(KH*KW*C, F)
(kernels/cpu/conv2d.py); its backward's dcols = dy @ w.T goes back onto the input pixels by
col2im, the adjoint, which adds up where windows overlap (stride < kernel). Both are pure
data movement; the shortcuts below skip work whose result is known (zeros never overwritten,
windows that tile the image, windows that are the input itself), and the threaded build runs
only where the work pays for waking the threads (kernels/cpu/parallel.py).
"""

from numba import njit, prange

from kernels.conv_geometry import cols_are_the_input
from kernels.cpu.memory import buffer
from kernels.cpu.parallel import by_size


GATHER, SCATTER_ADD, SCATTER_SET = 0, 1, 2  # _patches' modes: im2col; col2im; col2im when windows tile
TAP_COST = 16  # a window tap's index work, in channel copies: what makes conv1's C = 1 loops dear
PATCHES_PARALLEL_MIN = 1_500_000  # taps * (C + TAP_COST); below, the serial build is faster (docs/speed.md)


def patches_work(images, cols, g, mode):
    """_patches' cost: every tap of every window, each a fixed index cost plus C copies."""
    return images.shape[0] * g.Ho * g.Wo * g.KH * g.KW * (images.shape[3] + TAP_COST)


@by_size(work=patches_work, min_work=PATCHES_PARALLEL_MIN)
def _patches(images, cols, g, mode):
    """Walk every (output pixel, kernel tap, channel) once. GATHER copies images -> cols
    (im2col); SCATTER_ADD adds cols -> images (col2im, its adjoint); SCATTER_SET writes them,
    for windows that tile the image (each pixel in exactly one window, so nothing to add
    to and no need for a zeroed array). One loop nest for all three, so the index map is
    written once: row r = (n*Ho + oh)*Wo + ow, column (kh*KW + kw)*C + c."""
    N, H, W, C = images.shape
    KH, KW, Ho, Wo, sh, sw, pt, pl = g.KH, g.KW, g.Ho, g.Wo, g.sh, g.sw, g.pt, g.pl
    for n in prange(N):  # batch, split over threads: sample n owns its rows and its pixels
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                r = (n * Ho + oh) * Wo + ow
                for kh in range(KH):  # kernel rows
                    ih = oh * sh - pt + kh
                    if ih < 0 or ih >= H:  # padding: cols keep their zero, nothing flows back
                        continue
                    for kw in range(KW):  # kernel columns
                        iw = ow * sw - pl + kw
                        if iw < 0 or iw >= W:
                            continue
                        k0 = (kh * KW + kw) * C
                        for c in range(C):  # input channels
                            if mode == GATHER:
                                cols[r, k0 + c] = images[n, ih, iw, c]
                            elif mode == SCATTER_ADD:
                                images[n, ih, iw, c] += cols[r, k0 + c]
                            else:
                                images[n, ih, iw, c] = cols[r, k0 + c]


@njit(cache=True)
def taps_inside(g):
    """No tap of any window lands in the padding: im2col then writes every entry of cols, so
    cols need not be zeroed first (docs/speed.md has what it saves)."""
    return g.pt == 0 and g.pl == 0 and (g.Ho - 1) * g.sh + g.KH <= g.H and (g.Wo - 1) * g.sw + g.KW <= g.W


@njit(cache=True)
def windows_tile(g):
    """The windows cover the image exactly once (stride = kernel, nothing left over, no
    padding: D's conv2 on 9x9): col2im then writes each pixel once (docs/speed.md)."""
    return taps_inside(g) and g.sh == g.KH and g.sw == g.KW and g.Ho * g.KH == g.H and g.Wo * g.KW == g.W


def im2col_into(x, g, cols):
    """x (N, H, W, C) -> cols (N*Ho*Wo, KH*KW*C), written over: row (n*Ho + oh)*Wo + ow holds the
    receptive field of output pixel (n, oh, ow) in (kh, kw, c) order, zeros for padding."""
    if not taps_inside(g):
        cols[:] = 0  # the padding taps are never written
    _patches(x, cols, g, GATHER)


def col2im_into(dcols, g, dx):
    """The adjoint of im2col: dcols (N*Ho*Wo, KH*KW*C) -> dx (N, H, W, C), written over,
    adding each entry back onto the input pixel it was copied from (overlapping windows sum)."""
    if windows_tile(g):
        _patches(dx, dcols, g, SCATTER_SET)
        return
    dx[:] = 0
    _patches(dx, dcols, g, SCATTER_ADD)


def im2col(x, g, out=None):
    """x's im2col matrix (N*Ho*Wo, KH*KW*C) in a Workspace buffer ("conv2d.cols") or a fresh
    array; a view of x itself when each window is one pixel's row (cols_are_the_input)."""
    N, H, W, C = x.shape
    if cols_are_the_input(g):
        return x.reshape(N * g.Ho * g.Wo, g.KH * g.KW * C)  # C-contiguous: no copy
    cols = buffer(out, "conv2d.cols", (N * g.Ho * g.Wo, g.KH * g.KW * C), x.dtype)
    im2col_into(x, g, cols)
    return cols


def col2im(dcols, x_shape, g, out=None):
    """dcols back onto the image: dx (N, H, W, C) in a Workspace buffer ("conv2d.dx") or a fresh
    array; dcols itself, reshaped, when each window is one pixel's row."""
    if cols_are_the_input(g):
        return dcols.reshape(x_shape)  # every entry has exactly one pixel, in memory order
    dx = buffer(out, "conv2d.dx", x_shape, dcols.dtype)
    col2im_into(dcols, g, dx)
    return dx
