"""Dense (fully connected) layer: y = x @ w + b, as plain loops.

Shapes: x (N, I), w (I, O), b (O,), y (N, O).

Forward, per element:   y[n, o] = b[o] + sum_i x[n, i] * w[i, o]
Backward, given dy = dL/dy (N, O):
    dx[n, i] = sum_o dy[n, o] * w[i, o]      i.e. dx = dy @ w.T     (N, I)
    dw[i, o] = sum_n x[n, i] * dy[n, o]      i.e. dw = x.T @ dy     (I, O)
    db[o]    = sum_n dy[n, o]                                       (O,)

These are the lab's signatures (python -m minigan lab start dense DIR): a student's file with
the same two functions takes their place in the readable engine (kernels/reference/engine.py).
Accumulation happens in the output array itself, so a float32 call accumulates in float32.
"""

import numpy as np
from numba import njit


@njit(cache=True)
def dense_forward(x, w, b):
    # the outputs o are the innermost loop: w's and y's rows run along o, so it walks memory in order
    N, I = x.shape
    O = w.shape[1]
    y = np.empty((N, O), dtype=x.dtype)
    for n in range(N):  # rows of x / y: (N,)
        for o in range(O):  # y[n, :] = b
            y[n, o] = b[o]
        for i in range(I):  # inputs: (I,)
            for o in range(O):  # outputs: (O,)
                y[n, o] += x[n, i] * w[i, o]
    return y


@njit(cache=True)
def dense_backward(dy, x, w):
    # forward was y[n, o] = b[o] + sum_i x[n, i] * w[i, o]
    N, I = x.shape
    O = w.shape[1]
    dx = np.zeros((N, I), dtype=x.dtype)
    dw = np.zeros((I, O), dtype=x.dtype)
    db = np.zeros(O, dtype=x.dtype)
    for n in range(N):  # batch: (N,)
        for o in range(O):  # y[n, o] depends on b[o] with slope 1
            db[o] += dy[n, o]
        for i in range(I):  # inputs: (I,)
            for o in range(O):  # outputs: the slope of y[n, o] in w[i, o] is x[n, i]
                dw[i, o] += dy[n, o] * x[n, i]
            for o in range(O):  # the slope of y[n, o] in x[n, i] is w[i, o], summed over the outputs
                dx[n, i] += dy[n, o] * w[i, o]
    return dx, dw, db
