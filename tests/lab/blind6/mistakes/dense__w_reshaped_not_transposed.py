# expect: weights regrouped by a reshape
# mistake: Computes dx = dy @ w.reshape(M, D), reshaping w where it should transpose it, which scrambles the weights unless D or M is 1.
"""minigan lab: the Dense layer's backward.

Forward (given): y = x @ w + b
    x (N, D)   a batch of N rows
    w (D, M)   one column of weights per output
    b (M,)     one bias per output
    y (N, M)

Write dense_backward(dy, x, w) -> (dx, dw, db): given dy = dL/dy (N, M), return
    dx (N, D) = dL/dx,   dw (D, M) = dL/dw,   db (M,) = dL/db

Hints (no answers):
- Write y[n, m] = b[m] + sum_d x[n, d] * w[d, m] and ask, for one entry of w, which
  entries of y it touched. Each contributes dy[n, m] times the factor that multiplies w.
- Every gradient has the shape of the thing it is the gradient of.
- The batch is N separate samples that share w and b.

Plain Python loops are fine: the grader runs them on small shapes and compiles them with
Numba where it can. Check your work with
    python -m minigan lab check dense THIS_FILE
"""

import numpy as np


def dense_forward(x, w, b):
    N, D = x.shape
    M = w.shape[1]
    y = np.empty((N, M))
    for n in range(N):  # batch
        for m in range(M):  # outputs
            acc = b[m]
            for d in range(D):  # inputs
                acc += x[n, d] * w[d, m]
            y[n, m] = acc
    return y


def dense_backward(dy, x, w):
    D, M = w.shape
    dx = dy @ w.reshape(M, D)
    dw = x.T @ dy
    db = dy.sum(axis=0)
    return dx, dw, db
