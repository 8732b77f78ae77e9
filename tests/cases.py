"""Shape cases shared by the kernel tests (fixed corner cases plus seeded random ones), and the
two CPU engines of the kernel contract that they run on."""

import numpy as np
import pytest

import kernels.cpu
import kernels.reference

# the fast engine and the readable one: same contract (kernels/contract.py), tested alike;
# by_engine runs a test once per engine, handed to it as E
ENGINES = {"cpu": kernels.cpu, "reference": kernels.reference}
by_engine = pytest.mark.parametrize("E", list(ENGINES.values()), ids=list(ENGINES))

# (N, H, W, C, F, (KH, KW), stride, padding)
CONV_FIXED = [
    (2, 8, 8, 1, 3, (3, 3), 3, "valid"),        # the documented k3/s3, with a left-over row
    (1, 6, 7, 2, 3, (3, 3), 1, 1),              # batch 1, stride 1, padding 1
    (2, 9, 8, 2, 2, (2, 2), 3, 0),              # stride > kernel: pixels no window reads
    (2, 7, 6, 3, 2, (5, 3), (2, 1), (2, 0)),    # odd, non-square kernel; mixed stride/padding
    (2, 7, 8, 2, 3, (3, 3), 2, "same"),         # 'same' with stride 2: asymmetric padding
    (1, 5, 5, 2, 2, (4, 4), 2, 3),              # padding > 0 with stride < kernel (overlaps)
    (3, 4, 4, 1, 1, (1, 1), 1, "valid"),        # 1x1 kernel
    (2, 9, 9, 2, 3, (3, 3), 3, "valid"),        # windows tile the input exactly (conv2): col2im writes
    (2, 3, 3, 4, 5, (3, 3), 3, "valid"),        # one window over the whole input (conv3): a reshape
    (2, 3, 4, 2, 3, (3, 3), 3, "valid"),        # one window, a column left over: not a reshape
]


def conv_random(n_cases, seed):
    rng = np.random.default_rng(seed)
    cases = []
    while len(cases) < n_cases:
        kh, kw = rng.integers(1, 5, size=2)
        sh, sw = rng.integers(1, 4, size=2)
        ph, pw = rng.integers(0, 3, size=2)
        h, w = rng.integers(3, 9, size=2)
        if (h + 2 * ph - kh) < 0 or (w + 2 * pw - kw) < 0:
            continue
        cases.append((int(rng.integers(1, 4)), int(h), int(w), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                      (int(kh), int(kw)), (int(sh), int(sw)), (int(ph), int(pw))))
    return cases


CONV_CASES = CONV_FIXED + conv_random(8, seed=1234)

# (N, I, O)
DENSE_CASES = [(1, 1, 1), (1, 5, 3), (4, 7, 2), (3, 2, 9)] + [
    tuple(int(v) for v in np.random.default_rng(s).integers(1, 12, size=3)) for s in range(4)
]


def conv_arrays(case, dtype, seed=0):
    N, H, W, C, F, (KH, KW), stride, padding = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, H, W, C)).astype(dtype)
    w = rng.standard_normal((KH, KW, C, F)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    return x, w, b, stride, padding


def dense_arrays(case, dtype, seed=0):
    N, I, O = case
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, I)).astype(dtype), rng.standard_normal((I, O)).astype(dtype),
            rng.standard_normal(O).astype(dtype))


def case_id(case):
    return "-".join(str(v).replace(" ", "") for v in case)
