# right: loops over the output, the window sums written with tensordot per pixel
import numpy as np


def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    _, Ho, Wo, _ = dy.shape
    s, p = stride, padding
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    for oh in range(Ho):
        for ow in range(Wo):
            for kh in range(KH):
                ih = oh * s - p + kh
                if not 0 <= ih < H:
                    continue
                for kw in range(KW):
                    iw = ow * s - p + kw
                    if not 0 <= iw < W:
                        continue
                    dx[:, ih, iw, :] += np.tensordot(dy[:, oh, ow, :], w[kh, kw], axes=([1], [1]))
                    dw[kh, kw] += np.tensordot(x[:, ih, iw, :], dy[:, oh, ow, :], axes=([0], [0]))
    return dx, dw, np.einsum("nhwf->f", dy)
