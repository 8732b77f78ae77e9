import numpy as np

def conv2d_backward(dy, x, w, stride, padding):
    N, H, W, C = x.shape
    KH, KW, _, F = w.shape
    s, p = stride, padding
    Ho, Wo = dy.shape[1], dy.shape[2]
    xp = np.zeros((N, H + 2 * p, W + 2 * p, C))
    xp[:, p:p + H, p:p + W, :] = x
    dxp = np.zeros(xp.shape)
    dw = np.zeros(w.shape)
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh, kh + s * (Ho - 1) + 1, s)
            cols = slice(kw, kw + s * (Wo - 1) + 1, s)
            dw[kh, kw] = np.einsum("nhwc,nhwf->cf", xp[:, rows, cols, :], dy)
            dxp[:, rows, cols, :] += np.einsum("nhwf,cf->nhwc", dy, w[kh, kw])
    db = dy.reshape(-1, F).sum(axis=0)
    return dxp[:, p:H + p, p:W + p], dw, db
