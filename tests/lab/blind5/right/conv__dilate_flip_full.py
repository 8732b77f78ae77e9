# right: dx as a transposed convolution (dy dilated by the stride, zero-padded KH-1/KW-1, correlated with the spatially flipped, C/F-swapped kernel, then cropped); dw as a correlation of the padded input with the dilated dy
import numpy as np


def conv2d_forward(x, w, b, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    Ho, Wo = (H + 2 * p - KH) // s + 1, (W + 2 * p - KW) // s + 1
    y = np.empty((N, Ho, Wo, F))
    for n in range(N):  # batch
        for oh in range(Ho):  # output rows
            for ow in range(Wo):  # output columns
                for f in range(F):  # kernels
                    acc = b[f]
                    for kh in range(KH):  # kernel rows
                        ih = oh * s - p + kh
                        if ih < 0 or ih >= H:  # a tap in the padding
                            continue
                        for kw in range(KW):  # kernel columns
                            iw = ow * s - p + kw
                            if iw < 0 or iw >= W:
                                continue
                            for c in range(C):  # input channels
                                acc += x[n, ih, iw, c] * w[kh, kw, c, f]
                    y[n, oh, ow, f] = acc
    return y


def _correlate_valid(a, k):
    """a (N, A, B, Ci), k (KA, KB, Ci, Co) -> (N, A-KA+1, B-KB+1, Co), stride 1, no padding."""
    KA, KB = k.shape[:2]
    Oa, Ob = a.shape[1] - KA + 1, a.shape[2] - KB + 1
    out = np.zeros((a.shape[0], Oa, Ob, k.shape[3]))
    for i in range(KA):
        for j in range(KB):
            out += np.tensordot(a[:, i:i + Oa, j:j + Ob, :], k[i, j], axes=([3], [0]))
    return out


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    _, Ho, Wo, _ = dy.shape
    Hp, Wp = H + 2 * p, W + 2 * p
    # dilate dy: the output pixel (oh, ow) sits at padded-input position (oh*s, ow*s)
    # size Hp-KH+1 so that rows left over by the stride are covered by zeros
    dyd = np.zeros((N, Hp - KH + 1, Wp - KW + 1, F))
    dyd[:, ::s, ::s, :][:, :Ho, :Wo, :] = dy
    # dw: correlation of the padded input with the dilated dy
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    dw = np.zeros_like(w)
    for kh in range(KH):
        for kw in range(KW):
            dw[kh, kw] = np.einsum('nhwc,nhwf->cf', xp[:, kh:kh + dyd.shape[1], kw:kw + dyd.shape[2], :], dyd)
    # dx: full correlation of the dilated dy with the flipped, transposed kernel
    full = np.pad(dyd, ((0, 0), (KH - 1, KH - 1), (KW - 1, KW - 1), (0, 0)))
    wt = w[::-1, ::-1].transpose(0, 1, 3, 2)  # (KH, KW, F, C)
    dxp = _correlate_valid(full, wt)  # (N, Hp, Wp, C)
    dx = dxp[:, p:p + H, p:p + W, :]
    db = dy.sum(axis=(0, 1, 2))
    return dx, dw, db
